package io.wattflow.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.auth.Role;
import io.wattflow.api.resilience.DatabaseHealth;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** What load balancers, Prometheus and clients ask without a token: health, metrics, the OpenAPI document. */
final class HealthRoutes {
    private final DatabaseHealth databaseHealth;
    private final PrometheusMeterRegistry metrics;

    HealthRoutes(DatabaseHealth databaseHealth, PrometheusMeterRegistry metrics) {
        this.databaseHealth = databaseHealth;
        this.metrics = metrics;
    }

    /** {@code UP}, or {@code DEGRADED} with what is wrong. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Health(String status, String detail) {
    }

    void register(RoutesConfig routes) {
        routes.get("/health", this::health, Role.ANYONE);
        routes.get("/health/ready", this::health, Role.ANYONE);
        routes.get("/health/live", ctx -> ctx.json(new Health("UP", null)), Role.ANYONE);
        routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApiDocument()), Role.ANYONE);
        routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()), Role.ANYONE);
    }

    /**
     * Ready while degraded: with PostgreSQL away, cached reads are still served, and a load balancer that drained every
     * instance at once would turn a database outage into a total one.
     */
    private void health(Context ctx) {
        if (databaseHealth.reachable()) {
            ctx.json(new Health("UP", null));
        } else {
            ctx.json(new Health("DEGRADED", "degraded: the billing database is unreachable; recent reads are served from cache"));
        }
    }

    /** The hand-written OpenAPI 3.1 document (the Javalin OpenAPI plugin has no Javalin 7 release). */
    static String openApiDocument() {
        try (InputStream in = HealthRoutes.class.getResourceAsStream("/openapi.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("openapi.json is missing from the jar", e);
        }
    }
}
