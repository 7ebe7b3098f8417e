package io.wattflow.api.observability;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * Per request: a request id (the caller's {@code X-Request-Id} when it is sane, else a new one), echoed in the
 * response and put in the logging context; and a latency histogram per route template and status, for Prometheus.
 */
public final class RequestMetrics {
    public static final String REQUEST_ID = "X-Request-Id";
    /** The request id's field in every log line of the request: its name in the Elastic Common Schema. */
    public static final String REQUEST_ID_LOG_KEY = "http.request.id";
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final String STARTED = "wattflow.request-started";

    private final PrometheusMeterRegistry registry;

    public RequestMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    public void before(Context ctx) {
        String id = ctx.header(REQUEST_ID);
        if (id == null || !SANE_ID.matcher(id).matches()) {
            id = UUID.randomUUID().toString();
        }
        ctx.header(REQUEST_ID, id);
        MDC.put(REQUEST_ID_LOG_KEY, id);
        ctx.attribute(STARTED, System.nanoTime());
    }

    public void after(Context ctx) {
        Long started = ctx.attribute(STARTED);
        if (started != null) {
            var matched = ctx.endpoints().lastHttpEndpoint();
            String route = matched == null ? "unmatched" : matched.path; // the template, so label values stay few
            Timer.builder("http_server_requests")
                    .description("HTTP requests by route template, method and status")
                    .tag("route", route).tag("method", ctx.method().name()).tag("status", Integer.toString(ctx.statusCode()))
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
        MDC.remove(REQUEST_ID_LOG_KEY);
    }
}
