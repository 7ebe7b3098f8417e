package io.wattflow.api.auth;

import io.javalin.security.RouteRole;

/** Who may call a route. An admin token may do everything a reader token may. */
public enum Role implements RouteRole {
    /** No token needed (health). */
    ANYONE,
    READER,
    ADMIN;

    public boolean grants(Role required) {
        return required == ANYONE || this == ADMIN || this == required;
    }
}
