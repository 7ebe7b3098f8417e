package io.wattflow.api.problem;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.wattflow.api.resilience.DatabaseGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one mapping from failures to {@code application/problem+json}: no stack trace ever reaches a client. */
public final class ProblemResponses {
    public static final String CONTENT_TYPE = "application/problem+json";
    private static final Logger LOG = LoggerFactory.getLogger(ProblemResponses.class);

    private ProblemResponses() {
    }

    public static void register(RoutesConfig routes) {
        routes.exception(ApiProblem.class, (problem, ctx) ->
                write(ctx, problem.status(), problem.type(), problem.title(), problem.getMessage()));
        // Javalin's own refusals (a body over the size limit, say) keep their status and become problems too.
        routes.exception(HttpResponseException.class, (error, ctx) -> {
            switch (error.getStatus()) {
                case 404 -> write(ctx, 404, ApiProblem.typeUri("not-found"), "Not found", "No resource at " + ctx.path());
                case 405 -> write(ctx, 405, ApiProblem.typeUri("method-not-allowed"), "Method not allowed",
                        ctx.method() + " is not allowed on " + ctx.path());
                // Bad input is a 400 whatever is wrong with it, an oversized body included; the type says which.
                case 413 -> write(ctx, 400, ApiProblem.typeUri("payload-too-large"), "Payload too large",
                        "the request body is larger than the limit of 1 MB; send less");
                default -> write(ctx, error.getStatus(), ApiProblem.typeUri("http-" + error.getStatus()), "Request refused", error.getMessage());
            }
        });
        routes.exception(Exception.class, (error, ctx) -> {
            if (DatabaseGuard.isDatabaseFailure(error)) {
                // Fail fast and say when to come back; the circuit breaker keeps further calls from waiting on timeouts.
                LOG.warn("database unavailable on {} {}: {}", ctx.method(), ctx.path(), error.getMessage());
                ctx.header("Retry-After", "5");
                write(ctx, 503, ApiProblem.typeUri("unavailable"), "Service unavailable",
                        "the billing database is unreachable; retry after 5 s");
                return;
            }
            String state = DatabaseGuard.sqlState(error);
            if (state != null && state.startsWith("22")) {
                // The request's data reached the database and was refused there: the edge's checks missed a case.
                LOG.warn("the database refused the data of {} {} ({}): {}", ctx.method(), ctx.path(), state, error.getMessage());
                write(ctx, 400, ApiProblem.typeUri("invalid-parameter"), "Invalid parameter",
                        "a value of the request is out of the range the database stores (SQLSTATE " + state + ")");
                return;
            }
            if (state != null && state.startsWith("23")) {
                write(ctx, 409, ApiProblem.typeUri("conflict"), "Conflict",
                        "the request conflicts with data stored already (SQLSTATE " + state + ")");
                return;
            }
            if (state != null && state.startsWith("40")) {
                // Two transactions met; the guard retried once already. Not an outage: the breaker did not count it.
                ctx.header("Retry-After", "1");
                write(ctx, 503, ApiProblem.typeUri("unavailable"), "Service unavailable",
                        "the request met a concurrent change; retry after 1 s");
                return;
            }
            LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), error);
            write(ctx, 500, ApiProblem.typeUri("internal"), "Internal error",
                    "The server failed to answer; the failure is logged. Try again later.");
        });
        routes.error(404, ctx -> {
            // A handler's own 404 (an unknown customer, say) is a problem already; only unmatched paths get this one.
            if (ctx.attribute(WRITTEN) == null) {
                write(ctx, 404, ApiProblem.typeUri("not-found"), "Not found", "No resource at " + ctx.path());
            }
        });
        routes.error(405, ctx -> write(ctx, 405, ApiProblem.typeUri("method-not-allowed"), "Method not allowed",
                ctx.method() + " is not allowed on " + ctx.path()));
    }

    private static final String WRITTEN = "wattflow.problem-written";

    /** {@code Problem} in the OpenAPI document (RFC 9457). */
    public record Problem(String type, String title, int status, String detail, String instance) {
    }

    public static void write(Context ctx, int status, String type, String title, String detail) {
        ctx.attribute(WRITTEN, Boolean.TRUE);
        ctx.status(status).json(new Problem(type, title, status, detail, ctx.path())).contentType(CONTENT_TYPE);
    }
}
