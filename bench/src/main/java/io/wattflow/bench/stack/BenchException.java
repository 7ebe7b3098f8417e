package io.wattflow.bench.stack;

/** A figure could not be measured; the message says why, in one line. */
final class BenchException extends RuntimeException {
    BenchException(String message) {
        super(message);
    }

    BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
