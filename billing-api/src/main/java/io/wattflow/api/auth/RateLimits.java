package io.wattflow.api.auth;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.javalin.http.Context;
import io.wattflow.api.problem.ApiProblem;
import java.time.Duration;

/**
 * Requests per token and second, per instance (so N instances behind a load balancer admit up to N times as many).
 * Over the limit: 429 with {@code Retry-After: 1}; nothing waits.
 */
public final class RateLimits {
    private final RateLimiterRegistry registry;
    private final int perSecond;

    public RateLimits(int perSecond) {
        this.perSecond = perSecond;
        this.registry = RateLimiterRegistry.of(RateLimiterConfig.custom()
                .limitForPeriod(perSecond)
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ZERO)
                .build());
    }

    public void admit(Context ctx, Principal principal) {
        RateLimiter limiter = registry.rateLimiter(principal.tokenId().toString());
        if (!limiter.acquirePermission()) {
            ctx.header("Retry-After", "1");
            throw ApiProblem.tooManyRequests("this token may send " + perSecond + " requests per second to each instance; retry after 1 s");
        }
    }
}
