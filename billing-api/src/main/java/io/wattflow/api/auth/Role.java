package io.wattflow.api.auth;

import io.javalin.security.RouteRole;

/**
 * Who may call a route. A route lists the roles it admits; an admin may call every route. An operator runs the
 * business (reports, billing runs, any customer); a customer token is bound to one customer and sees only its own.
 */
public enum Role implements RouteRole {
    /** No token needed (health, metrics, the OpenAPI document). */
    ANYONE,
    ADMIN,
    OPERATOR,
    CUSTOMER;

    public boolean grants(Role required) {
        return required == ANYONE || this == ADMIN || this == required;
    }
}
