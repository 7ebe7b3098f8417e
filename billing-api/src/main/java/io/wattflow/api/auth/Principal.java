package io.wattflow.api.auth;

import io.javalin.http.Context;
import io.wattflow.api.problem.ApiProblem;
import java.util.UUID;

/** The caller behind a bearer token: its role, and for a customer token the customer it is bound to. */
public record Principal(UUID tokenId, Role role, String customerId) {
    private static final String ATTRIBUTE = "wattflow.principal";

    public void attachTo(Context ctx) {
        ctx.attribute(ATTRIBUTE, this);
    }

    public static Principal of(Context ctx) {
        Principal principal = ctx.attribute(ATTRIBUTE);
        if (principal == null) {
            throw new IllegalStateException("no principal: the route admits anyone but asks who calls");
        }
        return principal;
    }

    /** A customer token sees only its own customer; anything else is "not found", never "forbidden" (no probing). */
    public void requireAccessTo(String customerId) {
        requireAccessTo(customerId, "no customer '" + customerId + "'");
    }

    /**
     * The same for an object that belongs to a customer (an invoice): {@code notFound} names the object asked for.
     * (A meter is the customer's for the spans it was assigned to them: see {@code CustomerService.spansOf}.)
     */
    public void requireAccessTo(String customerId, String notFound) {
        if (role == Role.CUSTOMER && !customerId.equals(this.customerId)) {
            throw ApiProblem.notFound(notFound);
        }
    }
}
