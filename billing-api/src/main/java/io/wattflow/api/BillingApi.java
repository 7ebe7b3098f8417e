package io.wattflow.api;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import io.javalin.security.RouteRole;
import io.wattflow.api.auth.AddressLimits;
import io.wattflow.api.auth.Principal;
import io.wattflow.api.auth.RateLimits;
import io.wattflow.api.auth.RouteRoles;
import io.wattflow.api.auth.Role;
import io.wattflow.api.auth.TokenService;
import io.wattflow.api.auth.TokenAuthenticator;
import io.wattflow.api.customer.CustomerRepository;
import io.wattflow.api.customer.CustomerRequests;
import io.wattflow.api.customer.CustomerService;
import io.wattflow.api.idempotency.IdempotencyKeys;
import io.wattflow.api.report.ConsumptionReport;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.resilience.DatabaseGuard;
import io.wattflow.api.resilience.DatabaseHealth;
import io.wattflow.api.resilience.StaleCache;
import io.wattflow.api.usage.UsageReport;
import io.wattflow.api.observability.RequestMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.tariff.TariffRepository;
import io.wattflow.api.tariff.TariffService;
import io.wattflow.api.run.BillingRunRepository;
import io.wattflow.api.run.BillingRunService;
import io.wattflow.api.run.BillingRunWorker;
import io.wattflow.api.run.OutboxRelay;
import io.wattflow.api.run.OutboxWriter;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.UUID;
import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.ProblemResponses;
import io.wattflow.api.usage.UsageQuery;
import io.wattflow.api.usage.UsageRepository;
import io.wattflow.api.usage.UsageService;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The billing API's app factory: routes, the one access check, and the one error mapping. Tests create it on a
 * random port with their own data source.
 */
public final class BillingApi {

    /** Heap for cached usage reports (a month of 15-minute points is about 600 KB). */
    static final long USAGE_CACHE_BYTES = 32L * 1024 * 1024;
    /** Heap for cached bill previews. */
    static final long PREVIEW_CACHE_BYTES = 8L * 1024 * 1024;

    private BillingApi() {
    }

    /**
     * What the API needs from outside.
     *
     * @param billingRuns    how this instance carries billing runs forward
     * @param kafkaBootstrap where the outbox relay publishes billing events; null: events stay in the outbox
     */
    public record Dependencies(DataSource dataSource, BillingRunWorker.Settings billingRuns, String kafkaBootstrap,
                               BigDecimal completenessThreshold, PrometheusMeterRegistry metrics, int requestsPerSecondPerToken) {
        public Dependencies(DataSource dataSource) {
            this(dataSource, new BillingRunWorker.Settings("instance-" + UUID.randomUUID(), Duration.ofSeconds(30), Duration.ofSeconds(1),
                    BillingRunWorker.StepHook.NONE), null, new BigDecimal("0.9"), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 200);
        }
    }

    public static Javalin create(ApiConfig config, Dependencies dependencies) {
        TokenAuthenticator authenticator = new TokenAuthenticator(dependencies.dataSource());
        AddressLimits addressLimits = new AddressLimits(config.tokenLookupsPerAddress(), config.trustedProxies());
        DatabaseHealth databaseHealth = new DatabaseHealth(dependencies.dataSource());
        UsageService usage = new UsageService(new UsageRepository(dependencies.dataSource()));
        CustomerService customers = new CustomerService(new CustomerRepository(dependencies.dataSource()),
                new TariffRepository(dependencies.dataSource()));
        IdempotencyKeys idempotencyKeys = new IdempotencyKeys(dependencies.dataSource());
        DatabaseGuard database = new DatabaseGuard();
        io.micrometer.core.instrument.Gauge.builder("wattflow_database_breaker_state", database, guard -> switch (guard.state()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            default -> 2;
        }).description("circuit breaker around PostgreSQL: 0 closed, 1 half-open, 2 open").register(dependencies.metrics());
        StaleCache<UsageReport> usageCache = new StaleCache<>(USAGE_CACHE_BYTES, Duration.ofMinutes(10), config.usageFreshFor(),
                UsageReport::approximateBytes);
        StaleCache<Bill> previewCache = new StaleCache<>(PREVIEW_CACHE_BYTES, Duration.ofMinutes(10), Duration.ZERO, Bill::approximateBytes);
        RateLimits rateLimits = new RateLimits(dependencies.requestsPerSecondPerToken());
        TokenService tokens = new TokenService(dependencies.dataSource(), authenticator);
        RequestMetrics requestMetrics = new RequestMetrics(dependencies.metrics());
        TariffService tariffs = new TariffService(dependencies.dataSource(), new TariffRepository(dependencies.dataSource()));
        ConsumptionReport consumption = new ConsumptionReport(dependencies.dataSource(), customers);
        BillingRunRepository runs = new BillingRunRepository(dependencies.dataSource());
        BillingRunService billingRuns = new BillingRunService(runs, dependencies.completenessThreshold(), new OutboxWriter(objectMapper()),
                java.time.Clock.systemUTC());
        BillingRunWorker worker = new BillingRunWorker(runs, customers, objectMapper(), dependencies.billingRuns(), dependencies.metrics());
        OutboxRelay relay = dependencies.kafkaBootstrap() == null ? null : new OutboxRelay(dependencies.dataSource(), dependencies.kafkaBootstrap());
        return RouteRoles.requireRoles(Javalin.create(javalin -> {
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.startup.showJavalinBanner = false;
            javalin.jsonMapper(new JavalinJackson(objectMapper(), false));
            javalin.http.maxRequestSize = 1_000_000L;

            javalin.events.serverStarted(() -> {
                worker.start();
                if (relay != null) {
                    relay.start(Duration.ofMillis(500));
                }
            });
            javalin.events.serverStopping(() -> {
                worker.close();
                if (relay != null) {
                    relay.close();
                }
            });

            ProblemResponses.register(javalin.routes);
            javalin.routes.before(requestMetrics::before);
            javalin.routes.before(ctx -> {
                ctx.header("X-Content-Type-Options", "nosniff");
                if (ctx.path().startsWith("/api/")) {
                    ctx.header("Cache-Control", "no-store"); // tokens and customers' data: never in a shared or browser cache
                }
            });
            javalin.routes.after(requestMetrics::after);
            javalin.routes.beforeMatched(ctx -> {
                authorize(ctx, authenticator, addressLimits, rateLimits);
                if (idempotencyKeys.before(ctx)) {
                    ctx.skipRemainingHandlers(); // a repeat: answered with the stored response
                }
            });
            javalin.routes.afterMatched(idempotencyKeys::after);

            javalin.routes.get("/health", ctx -> health(ctx, databaseHealth), Role.ANYONE);
            javalin.routes.get("/health/ready", ctx -> health(ctx, databaseHealth), Role.ANYONE);
            javalin.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApiDocument()), Role.ANYONE);
            javalin.routes.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")), Role.ANYONE);
            javalin.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(dependencies.metrics().scrape()), Role.ANYONE);
            javalin.routes.get("/api/v1/meters/{meterId}/usage", ctx -> {
                UsageQuery query = UsageQuery.parse(ctx.pathParam("meterId"), ctx.queryParam("channel"), ctx.queryParam("granularity"),
                        ctx.queryParam("tz"), ctx.queryParam("from"), ctx.queryParam("to"));
                Principal principal = Principal.of(ctx);
                String key = (principal.role() == Role.CUSTOMER ? principal.customerId() : "*") + "|" + query.cacheKey();
                StaleCache.Answer<UsageReport> answer = usageCache.get(key, () -> database.call(() -> principal.role() == Role.CUSTOMER
                        ? usage.meterUsage(query, customers.spansOf(principal.customerId(), query.meterId()))
                        : usage.meterUsage(query)));
                markStale(ctx, answer);
                if (wantsCsv(ctx)) {
                    ctx.contentType("text/csv; charset=utf-8").result(usageCsv(answer.value().points()));
                } else {
                    ctx.json(answer.value());
                }
            }, Role.OPERATOR, Role.CUSTOMER);
            javalin.routes.get("/api/v1/customers/{customerId}/usage", ctx -> {
                String customerId = ctx.pathParam("customerId");
                Principal.of(ctx).requireAccessTo(customerId);
                UsageQuery query = UsageQuery.parse(customerId, ctx.queryParam("channel"), ctx.queryParam("granularity"),
                        ctx.queryParam("tz"), ctx.queryParam("from"), ctx.queryParam("to"));
                Map<String, Object> report = database.call(() -> usage.customerUsage(customerId, query, customers.spansOfCustomer(customerId)));
                if (wantsCsv(ctx)) {
                    @SuppressWarnings("unchecked")
                    List<UsageReport.Point> points = (List<UsageReport.Point>) report.get("points");
                    ctx.contentType("text/csv; charset=utf-8").result(usageCsv(points));
                } else {
                    ctx.json(report);
                }
            }, Role.OPERATOR, Role.CUSTOMER);
            javalin.routes.get("/api/v1/reports/consumption", ctx -> {
                ConsumptionReport.Page page = database.call(() -> consumption.build(ctx.queryParam("period"), ctx.queryParam("groupBy"),
                        ctx.queryParam("limit"), ctx.queryParam("offset")));
                if (wantsCsv(ctx)) {
                    ctx.contentType("text/csv; charset=utf-8").result(ConsumptionReport.csv(page));
                } else {
                    Map<String, Object> body = new java.util.LinkedHashMap<>();
                    body.put("period", ctx.queryParam("period"));
                    body.put("rows", page.rows());
                    body.put("nextOffset", page.nextOffset());
                    ctx.json(body);
                }
            }, Role.OPERATOR);
            javalin.routes.post("/api/v1/tariffs", ctx -> ctx.status(201)
                    .json(tariffs.create(JsonBodies.read(ctx, TariffService.CreateTariff.class))), Role.ADMIN);
            javalin.routes.post("/api/v1/tariffs/{tariffId}/versions", ctx -> ctx.status(201)
                    .json(tariffs.addVersion(ctx.pathParam("tariffId"), JsonBodies.read(ctx, TariffService.NewVersion.class))), Role.ADMIN);
            javalin.routes.post("/api/v1/customers/{customerId}/tariffs", ctx -> ctx.status(201).json(customers.linkTariff(
                    ctx.pathParam("customerId"), JsonBodies.read(ctx, CustomerRequests.TariffLink.class))), Role.ADMIN);
            javalin.routes.post("/api/v1/customers", ctx -> ctx.status(201)
                    .json(customers.create(JsonBodies.read(ctx, CustomerRequests.CreateCustomer.class))), Role.ADMIN);
            javalin.routes.get("/api/v1/customers/{customerId}", ctx -> {
                Principal.of(ctx).requireAccessTo(ctx.pathParam("customerId"));
                ctx.json(customers.get(ctx.pathParam("customerId")));
            }, Role.OPERATOR, Role.CUSTOMER);
            javalin.routes.put("/api/v1/meters/{meterId}/assignment", ctx -> ctx.json(customers.assign(ctx.pathParam("meterId"),
                    JsonBodies.read(ctx, CustomerRequests.Assignment.class))), Role.ADMIN);
            javalin.routes.get("/api/v1/customers/{customerId}/bill-preview", ctx -> {
                Principal.of(ctx).requireAccessTo(ctx.pathParam("customerId"));
                String key = ctx.pathParam("customerId") + "|" + CustomerService.normalizedPeriod(ctx.queryParam("period"));
                StaleCache.Answer<Bill> answer = previewCache.get(key, () -> database.call(() ->
                        customers.preview(ctx.pathParam("customerId"), ctx.queryParam("period"))));
                markStale(ctx, answer);
                ctx.json(answer.value());
            }, Role.OPERATOR, Role.CUSTOMER);
            javalin.routes.post("/api/v1/billing-runs", ctx -> ctx.status(202)
                    .json(billingRuns.start(JsonBodies.read(ctx, BillingRunService.StartRun.class), Principal.of(ctx))), Role.OPERATOR);
            javalin.routes.get("/api/v1/billing-runs/{runId}", ctx -> ctx.json(billingRuns.progress(ctx.pathParam("runId"),
                    ctx.queryParam("limit"), ctx.queryParam("offset"))), Role.OPERATOR);
            javalin.routes.post("/api/v1/billing-runs/{runId}/cancel", ctx -> ctx.status(202)
                    .json(billingRuns.cancel(ctx.pathParam("runId"), Principal.of(ctx))), Role.OPERATOR);
            javalin.routes.get("/api/v1/invoices/{invoiceId}", ctx -> {
                Map<String, Object> invoice = billingRuns.invoice(ctx.pathParam("invoiceId"));
                Principal principal = Principal.of(ctx);
                if (principal.role() == Role.CUSTOMER && !invoice.get("customerId").equals(principal.customerId())) {
                    throw ApiProblem.notFound("no invoice " + ctx.pathParam("invoiceId"));
                }
                ctx.json(invoice);
            }, Role.OPERATOR, Role.CUSTOMER);
            javalin.routes.post("/api/v1/tokens", ctx -> {
                Map<String, Object> issued = tokens.issue(JsonBodies.read(ctx, TokenService.IssueToken.class));
                IdempotencyKeys.replayWith(ctx, TokenService.withoutSecret(issued)); // the token is shown once, never stored
                ctx.status(201).json(issued);
            }, Role.ADMIN);
            javalin.routes.delete("/api/v1/tokens/{tokenId}", ctx -> {
                tokens.revoke(ctx.pathParam("tokenId"));
                ctx.status(204);
            }, Role.ADMIN);
        }));
    }

    /** The hand-written OpenAPI 3.1 document (the Javalin OpenAPI plugin has no Javalin 7 release). */
    static String openApiDocument() {
        try (var in = BillingApi.class.getResourceAsStream("/openapi.json")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("openapi.json is missing from the jar", e);
        }
    }

    /** Exact decimals are written as plain numbers: 12.345678, never 1.2345678E1. */
    public static ObjectMapper objectMapper() {
        return JsonMapper.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .build();
    }

    private static void authorize(Context ctx, TokenAuthenticator authenticator, AddressLimits addressLimits, RateLimits rateLimits) {
        Set<RouteRole> required = ctx.routeRoles();
        if (required.isEmpty()) {
            // Fail closed: a route registered without roles is a mistake, never a public route (those say Role.ANYONE).
            throw new IllegalStateException("the route " + ctx.endpoint().path + " was registered without a role");
        }
        if (required.contains(Role.ANYONE)) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw ApiProblem.unauthorized("send the header 'Authorization: Bearer <token>' (bin/wattflow env prints one)");
        }
        Optional<Principal> principal = authenticator.principalOf(header.substring(7).trim(), () -> addressLimits.admitLookUp(ctx));
        if (principal.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw ApiProblem.unauthorized("the bearer token is unknown or revoked");
        }
        if (required.stream().noneMatch(r -> principal.get().role().grants((Role) r))) {
            throw ApiProblem.forbidden("this route needs one of the roles " + required);
        }
        rateLimits.admit(ctx, principal.get());
        principal.get().attachTo(ctx);
    }

    /**
     * Ready while degraded: with PostgreSQL away, cached reads are still served, and a load balancer that drained every
     * instance at once would turn a database outage into a total one.
     */
    private static void health(Context ctx, DatabaseHealth databaseHealth) {
        if (databaseHealth.reachable()) {
            ctx.json(Map.of("status", "UP"));
        } else {
            ctx.json(Map.of("status", "DEGRADED", "detail", "degraded: the billing database is unreachable; recent reads are served from cache"));
        }
    }

    private static boolean wantsCsv(Context ctx) {
        String accept = ctx.header("Accept");
        return accept != null && accept.contains("text/csv");
    }

    /** A usage report as RFC 4180 CSV: start, end, kWh (exact, 6 decimals) per point. */
    static String usageCsv(List<UsageReport.Point> points) {
        StringBuilder csv = new StringBuilder("start,end,kwh\r\n");
        for (UsageReport.Point point : points) {
            csv.append(point.start()).append(',').append(point.end()).append(',').append(point.kwh().toPlainString()).append("\r\n");
        }
        return csv.toString();
    }

    /** A cached answer served while the database is away says so. */
    private static void markStale(Context ctx, StaleCache.Answer<?> answer) {
        answer.staleAge().ifPresent(age -> {
            ctx.header("Age", Long.toString(age.toSeconds()));
            ctx.header("Warning", "110 - \"Response is Stale\"");
            ctx.header("X-Wattflow-Stale", "true");
        });
    }
}
