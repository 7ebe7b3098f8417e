package io.wattflow.api;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.auth.AccessFilter;
import io.wattflow.api.auth.AddressLimits;
import io.wattflow.api.auth.RateLimits;
import io.wattflow.api.auth.RouteRoles;
import io.wattflow.api.auth.TokenAuthenticator;
import io.wattflow.api.auth.TokenRepository;
import io.wattflow.api.auth.TokenRoutes;
import io.wattflow.api.auth.TokenService;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.customer.CustomerRepository;
import io.wattflow.api.customer.CustomerRoutes;
import io.wattflow.api.customer.CustomerService;
import io.wattflow.api.idempotency.IdempotencyKeys;
import io.wattflow.api.observability.RequestMetrics;
import io.wattflow.api.problem.ProblemResponses;
import io.wattflow.api.quality.CompletenessRepository;
import io.wattflow.api.quality.CompletenessRoutes;
import io.wattflow.api.quality.CompletenessService;
import io.wattflow.api.report.ConsumptionReport;
import io.wattflow.api.report.ReportRoutes;
import io.wattflow.api.resilience.DatabaseGuard;
import io.wattflow.api.resilience.DatabaseHealth;
import io.wattflow.api.resilience.StaleCache;
import io.wattflow.api.run.BillingRunRepository;
import io.wattflow.api.run.BillingRunRoutes;
import io.wattflow.api.run.BillingRunService;
import io.wattflow.api.run.BillingRunWorker;
import io.wattflow.api.run.InvoiceRepository;
import io.wattflow.api.run.OutboxRelay;
import io.wattflow.api.run.OutboxWriter;
import io.wattflow.api.run.RunProgress;
import io.wattflow.api.tariff.TariffRepository;
import io.wattflow.api.tariff.TariffRoutes;
import io.wattflow.api.tariff.TariffService;
import io.wattflow.api.usage.UsageReport;
import io.wattflow.api.usage.UsageRepository;
import io.wattflow.api.usage.UsageRoutes;
import io.wattflow.api.usage.UsageService;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * The billing API's app factory: it assembles the services, the routes of each package ({@code *Routes}), the one
 * access check and the one error mapping. Tests create it on a random port with their own data source.
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
        DataSource dataSource = dependencies.dataSource();
        TokenRepository tokenRepository = new TokenRepository(dataSource);
        TokenAuthenticator authenticator = new TokenAuthenticator(tokenRepository);
        AccessFilter access = new AccessFilter(authenticator, new AddressLimits(config.tokenLookupsPerAddress(), config.trustedProxies()),
                new RateLimits(dependencies.requestsPerSecondPerToken()));
        IdempotencyKeys idempotencyKeys = new IdempotencyKeys(dataSource);
        RequestMetrics requestMetrics = new RequestMetrics(dependencies.metrics());
        DatabaseGuard database = new DatabaseGuard(dependencies.metrics());
        TariffRepository tariffRepository = new TariffRepository(dataSource);
        CustomerService customers = new CustomerService(new CustomerRepository(dataSource), tariffRepository);
        BillingRunRepository runs = new BillingRunRepository(dataSource);
        InvoiceRepository invoices = new InvoiceRepository(dataSource);
        BillingRunService billingRuns = new BillingRunService(runs, invoices, new RunProgress(dataSource), dependencies.completenessThreshold(),
                new OutboxWriter(objectMapper()), Clock.systemUTC(), dependencies.metrics());
        BillingRunWorker worker = new BillingRunWorker(runs, invoices, customers, objectMapper(), dependencies.billingRuns(),
                dependencies.metrics());
        OutboxRelay relay = dependencies.kafkaBootstrap() == null ? null : new OutboxRelay(dataSource, dependencies.kafkaBootstrap());

        List<Consumer<RoutesConfig>> routes = List.of(
                new HealthRoutes(new DatabaseHealth(dataSource), dependencies.metrics())::register,
                new UsageRoutes(new UsageService(new UsageRepository(dataSource)), customers, database,
                        new StaleCache<>(USAGE_CACHE_BYTES, Duration.ofMinutes(10), config.usageFreshFor(), UsageReport::approximateBytes))::register,
                new ReportRoutes(new ConsumptionReport(dataSource, customers), database)::register,
                new CompletenessRoutes(new CompletenessService(new CompletenessRepository(dataSource)), database)::register,
                new TariffRoutes(new TariffService(dataSource, tariffRepository))::register,
                new CustomerRoutes(customers, database,
                        new StaleCache<>(PREVIEW_CACHE_BYTES, Duration.ofMinutes(10), Duration.ZERO, Bill::approximateBytes))::register,
                new BillingRunRoutes(billingRuns)::register,
                new TokenRoutes(new TokenService(tokenRepository, authenticator))::register);

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
                access.authorize(ctx);
                if (idempotencyKeys.before(ctx)) {
                    ctx.skipRemainingHandlers(); // a repeat: answered with the stored response
                }
            });
            javalin.routes.afterMatched(idempotencyKeys::after);
            routes.forEach(register -> register.accept(javalin.routes));
        }));
    }

    /** Exact decimals are written as plain numbers: 12.345678, never 1.2345678E1. */
    public static ObjectMapper objectMapper() {
        return JsonMapper.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .build();
    }
}
