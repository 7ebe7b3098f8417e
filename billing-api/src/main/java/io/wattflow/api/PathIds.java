package io.wattflow.api;

import io.javalin.http.Context;
import io.wattflow.api.problem.ApiProblem;
import java.util.UUID;

/** Ids in request paths, parsed at the edge: a value that cannot be an id names nothing, so it is a 404 like an unknown id. */
public final class PathIds {
    private PathIds() {
    }

    /** The path parameter as a UUID; "no {what} {value}" (404) when it is not one. */
    public static UUID uuid(Context ctx, String parameter, String what) {
        String value = ctx.pathParam(parameter);
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.notFound("no " + what + " " + value);
        }
    }
}
