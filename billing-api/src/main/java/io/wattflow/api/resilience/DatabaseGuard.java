package io.wattflow.api.resilience;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import java.sql.SQLException;
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

    public <T> T call(Supplier<T> query) {
        return breaker.executeSupplier(query);
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    /** A failure of the database itself (not of the request): an SQL error anywhere in the cause chain. */
    public static boolean isDatabaseFailure(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException || cause instanceof CallNotPermittedException) {
                return true;
            }
        }
        return false;
    }
}
