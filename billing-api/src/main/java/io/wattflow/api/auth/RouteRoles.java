package io.wattflow.api.auth;

import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.security.Roles;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Fail closed: every route names the roles that may call it, public ones {@link Role#ANYONE}. A route registered without
 * roles would otherwise be open to anyone without a token, so the app refuses to start with one.
 */
public final class RouteRoles {
    private static final Set<HandlerType> ROUTES = Set.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH,
            HandlerType.DELETE, HandlerType.HEAD);

    private RouteRoles() {
    }

    /** @throws IllegalStateException naming every route registered without a role */
    public static Javalin requireRoles(Javalin app) {
        List<String> open = new ArrayList<>();
        app.unsafe.internalRouter.allHttpHandlers().forEach(parsed -> {
            Roles roles = parsed.endpoint.metadata(Roles.class);
            if (ROUTES.contains(parsed.endpoint.method) && (roles == null || roles.getRoles().isEmpty())) {
                open.add(parsed.endpoint.method.name() + " " + parsed.endpoint.path);
            }
        });
        if (!open.isEmpty()) {
            throw new IllegalStateException("routes registered without a role (give them Role.ANYONE if they are public): " + open);
        }
        return app;
    }
}
