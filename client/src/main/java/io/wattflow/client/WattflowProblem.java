package io.wattflow.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wattflow.client.invoker.ApiException;
import io.wattflow.client.model.Problem;
import java.util.Locale;

/**
 * An error answer of the billing API as a typed exception: the RFC 9457 problem it sent ({@link #problem()}: type,
 * title, status, detail, instance), or, for an answer that was not problem+json (a proxy's error page, a connection
 * that failed), the status and as much as is known.
 */
public final class WattflowProblem extends RuntimeException {
    private final int status;
    private final Problem problem;

    private WattflowProblem(int status, Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.problem = problem;
    }

    /** The HTTP status, or 0 when no answer came (connection refused, timeout). */
    public int status() {
        return status;
    }

    /** The problem the server sent; null when the answer was not problem+json. */
    public Problem problem() {
        return problem;
    }

    /** The problem's type URI, e.g. {@code urn:wattflow:problem:invalid-parameter}; null without a problem. */
    public String type() {
        return problem == null ? null : problem.getType();
    }

    static WattflowProblem of(ApiException e, ObjectMapper json) {
        String contentType = e.getResponseHeaders() == null ? ""
                : e.getResponseHeaders().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (contentType.startsWith("application/problem+json") && e.getResponseBody() != null) {
            try {
                Problem problem = json.readValue(e.getResponseBody(), Problem.class);
                return new WattflowProblem(e.getCode(), problem, e.getCode() + " " + problem.getTitle() + ": " + problem.getDetail(), e);
            } catch (JsonProcessingException unreadable) {
                // fall through: report the answer as it came
            }
        }
        String message = e.getCode() == 0 ? "no answer from the billing API: " + e.getMessage()
                : "the billing API answered " + e.getCode() + " without a problem document";
        return new WattflowProblem(e.getCode(), null, message, e);
    }
}
