package io.wattflow.api.auth;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.JsonBodies;
import io.wattflow.api.PathIds;
import io.wattflow.api.idempotency.IdempotencyKeys;

/** Bearer tokens: issued and revoked by admins. */
public final class TokenRoutes {
    private final TokenService tokens;

    public TokenRoutes(TokenService tokens) {
        this.tokens = tokens;
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/v1/tokens", this::issue, Role.ADMIN);
        routes.delete("/api/v1/tokens/{tokenId}", this::revoke, Role.ADMIN);
    }

    private void issue(Context ctx) {
        TokenService.IssuedToken issued = tokens.issue(JsonBodies.read(ctx, TokenService.IssueToken.class));
        IdempotencyKeys.replayWith(ctx, TokenService.withoutSecret(issued)); // the token is shown once, never stored
        ctx.status(201).json(issued);
    }

    private void revoke(Context ctx) {
        tokens.revoke(PathIds.uuid(ctx, "tokenId", "token"));
        ctx.status(204);
    }
}
