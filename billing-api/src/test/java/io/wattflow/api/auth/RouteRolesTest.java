package io.wattflow.api.auth;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

class RouteRolesTest {

    @Test
    void anAppWithARouteWithoutRolesIsRefused() {
        Javalin app = Javalin.create(javalin -> {
            javalin.routes.get("/health", ctx -> ctx.result("UP"), Role.ANYONE);
            javalin.routes.get("/api/v1/forgotten", ctx -> ctx.result("secret"));
        });

        assertThatThrownBy(() -> RouteRoles.requireRoles(app)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GET /api/v1/forgotten").hasMessageNotContaining("/health");
    }

    @Test
    void anAppWhoseRoutesAllNameRolesStarts() {
        Javalin app = Javalin.create(javalin -> javalin.routes.get("/health", ctx -> ctx.result("UP"), Role.ANYONE));

        assertThatCode(() -> RouteRoles.requireRoles(app)).doesNotThrowAnyException();
    }
}
