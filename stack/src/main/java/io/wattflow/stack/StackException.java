package io.wattflow.stack;

/** A failure of the local stack that the user can act on: its message is one line saying what to fix. */
public final class StackException extends RuntimeException {
    public StackException(String message) {
        super(message);
    }

    public StackException(String message, Throwable cause) {
        super(message, cause);
    }
}
