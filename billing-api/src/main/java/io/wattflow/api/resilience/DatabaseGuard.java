package io.wattflow.api.resilience;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A circuit breaker around PostgreSQL. While the database fails, calls stop at once instead of waiting for
 * connection timeouts (so a request fails fast with 503 or is served from the stale cache); the breaker lets a probe
 * through after a wait that doubles from 2 s to 30 s, and closes again when the database answers.
 */
public final class DatabaseGuard {
    private final CircuitBreaker breaker = CircuitBreaker.of("postgres", CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(10)
            .minimumNumberOfCalls(3)
            .failureRateThreshold(50)
            .permittedNumberOfCallsInHalfOpenState(2)
            .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(30)))
            .recordException(DatabaseGuard::isDatabaseFailure)
            .build());

    /**
     * One retry, 100 ms later, of a transient failure (a dropped connection, a serialization failure or deadlock):
     * what a failover or a busy moment causes. Calls the breaker refuses are never retried.
     */
    private final Retry retry = Retry.of("postgres", RetryConfig.custom()
            .maxAttempts(2)
            .intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofMillis(100), 2.0))
            .retryOnException(DatabaseGuard::isTransient)
            .build());

    /** A guard whose state is not published (tests). */
    public DatabaseGuard() {
    }

    /** A guard that publishes its state as {@code wattflow_database_breaker_state}. */
    public DatabaseGuard(MeterRegistry metrics) {
        Gauge.builder("wattflow_database_breaker_state", this, guard -> switch (guard.state()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            default -> 2;
        }).description("circuit breaker around PostgreSQL: 0 closed, 1 half-open, 2 open").register(metrics);
    }

    public <T> T call(Supplier<T> query) {
        return Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, query)).get();
    }

    static boolean isTransient(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof CallNotPermittedException) {
                return false;
            }
            if (cause instanceof SQLTransientException) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().equals("40001") || sql.getSQLState().equals("40P01"))) {
                return true;
            }
        }
        return false;
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    /**
     * A failure of the database itself, not of the request: the breaker counts only these, so no caller can open it
     * for everyone with data the database refuses. Connections refused, lost or not to be had from the pool (SQLSTATE
     * class 08, {@link SQLTransientConnectionException}, pgjdbc's I/O errors), a statement cancelled by a timeout or
     * a shutdown (57), resources exhausted (53), system and internal errors (58, XX), and the breaker's own refusal.
     * Data errors (22), constraint violations (23), conflicts between transactions (40) and errors of our SQL (42)
     * are not.
     */
    public static boolean isDatabaseFailure(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof CallNotPermittedException || cause instanceof SQLTransientConnectionException
                    || cause instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state == null || state.length() < 2) {
                    return true; // a driver failure without a server's answer
                }
                return switch (state.substring(0, 2)) {
                    case "08", "53", "57", "58", "XX" -> true;
                    default -> false;
                };
            }
        }
        return false;
    }

    /** The SQLSTATE of the first SQL error in the cause chain, or null. */
    public static String sqlState(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
