package io.wattflow.api.problem;

/**
 * An error answered as RFC 9457 {@code application/problem+json}. The {@code type} is stable per kind of error,
 * so clients can match on it; {@code detail} says what to fix.
 */
public class ApiProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String slug;
    private final String title;

    public ApiProblem(int status, String slug, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    public static ApiProblem invalidParameter(String detail) {
        return new ApiProblem(400, "invalid-parameter", "Invalid parameter", detail);
    }

    public static ApiProblem unauthorized(String detail) {
        return new ApiProblem(401, "unauthorized", "Missing or invalid bearer token", detail);
    }

    public static ApiProblem forbidden(String detail) {
        return new ApiProblem(403, "forbidden", "Not allowed for this token", detail);
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "not-found", "Not found", detail);
    }

    public static ApiProblem conflict(String detail) {
        return new ApiProblem(409, "conflict", "Conflict", detail);
    }

    public static ApiProblem tooManyRequests(String detail) {
        return new ApiProblem(429, "too-many-requests", "Too many requests", detail);
    }

    public int status() {
        return status;
    }

    public String type() {
        return typeUri(slug);
    }

    public String title() {
        return title;
    }

    public static String typeUri(String slug) {
        return "urn:wattflow:problem:" + slug;
    }
}
