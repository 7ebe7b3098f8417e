package io.wattflow.api.auth;

import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import io.wattflow.api.problem.ApiProblem;
import java.util.Optional;
import java.util.Set;

/**
 * The one access check, before every matched route: the route's roles against the bearer token's, then the token's
 * rate limit. Unknown tokens are looked up within the caller address's budget, so made-up tokens cannot load the
 * database for everyone.
 */
public final class AccessFilter {
    private final TokenAuthenticator authenticator;
    private final AddressLimits addressLimits;
    private final RateLimits rateLimits;

    public AccessFilter(TokenAuthenticator authenticator, AddressLimits addressLimits, RateLimits rateLimits) {
        this.authenticator = authenticator;
        this.addressLimits = addressLimits;
        this.rateLimits = rateLimits;
    }

    public void authorize(Context ctx) {
        Set<RouteRole> required = ctx.routeRoles();
        if (required.isEmpty()) {
            // Fail closed: a route registered without roles is a mistake, never a public route (those say Role.ANYONE).
            throw new IllegalStateException("the route " + ctx.endpoint().path + " was registered without a role");
        }
        if (required.contains(Role.ANYONE)) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw ApiProblem.unauthorized("send the header 'Authorization: Bearer <token>' (bin/wattflow env prints one)");
        }
        Optional<Principal> principal = authenticator.principalOf(header.substring(7).trim(), () -> addressLimits.admitLookUp(ctx));
        if (principal.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw ApiProblem.unauthorized("the bearer token is unknown or revoked");
        }
        if (required.stream().noneMatch(r -> principal.get().role().grants((Role) r))) {
            throw ApiProblem.forbidden("this route needs one of the roles " + required);
        }
        rateLimits.admit(ctx, principal.get());
        principal.get().attachTo(ctx);
    }
}
