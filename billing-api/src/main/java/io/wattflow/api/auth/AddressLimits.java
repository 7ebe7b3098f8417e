package io.wattflow.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.javalin.http.Context;
import io.wattflow.api.problem.ApiProblem;
import java.time.Duration;
import java.util.Set;

/**
 * Token lookups in PostgreSQL per client address and second, checked before the lookup: a caller without a valid token
 * (or one trying many) cannot make the API query the database faster than this, whatever tokens it sends. Addresses are
 * remembered a minute after their last lookup, at most 100,000 of them. Behind a load balancer listed as trusted, the
 * client is the last address its {@code X-Forwarded-For} names; from anyone else the header is ignored (it could be
 * forged).
 */
public final class AddressLimits {
    private final int perSecond;
    private final Set<String> trustedProxies;
    private final RateLimiterConfig config;
    private final Cache<String, RateLimiter> limiters = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterAccess(Duration.ofMinutes(1)).build();

    public AddressLimits(int perSecond, Set<String> trustedProxies) {
        this.perSecond = perSecond;
        this.trustedProxies = trustedProxies;
        this.config = RateLimiterConfig.custom().limitForPeriod(perSecond).limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ZERO).build();
    }

    /** Refuses with 429 when the client's address has used its lookups of this second. */
    public void admitLookUp(Context ctx) {
        String address = clientAddress(ctx);
        RateLimiter limiter = limiters.get(address, key -> RateLimiter.of("lookups-" + key, config));
        if (!limiter.acquirePermission()) {
            ctx.header("Retry-After", "1");
            throw ApiProblem.tooManyRequests("this address may have " + perSecond + " new tokens checked per second; retry after 1 s");
        }
    }

    String clientAddress(Context ctx) {
        String peer = ctx.req().getRemoteAddr();
        String forwarded = ctx.header("X-Forwarded-For");
        if (forwarded != null && trustedProxies.contains(peer)) {
            String[] hops = forwarded.split(",");
            String client = hops[hops.length - 1].trim();
            if (!client.isEmpty() && client.length() <= 64) {
                return client;
            }
        }
        return peer;
    }
}
