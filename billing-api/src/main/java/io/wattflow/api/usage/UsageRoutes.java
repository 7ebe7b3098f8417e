package io.wattflow.api.usage;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.Responses;
import io.wattflow.api.auth.Principal;
import io.wattflow.api.auth.Role;
import io.wattflow.api.customer.CustomerService;
import io.wattflow.api.customer.MeterId;
import io.wattflow.api.resilience.DatabaseGuard;
import io.wattflow.api.resilience.StaleCache;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Usage of a meter and of a customer, 15-minute to monthly, as JSON or CSV. */
public final class UsageRoutes {
    private final UsageService usage;
    private final CustomerService customers;
    private final DatabaseGuard database;
    private final StaleCache<UsageReport> meterUsageCache;

    public UsageRoutes(UsageService usage, CustomerService customers, DatabaseGuard database, StaleCache<UsageReport> meterUsageCache) {
        this.usage = usage;
        this.customers = customers;
        this.database = database;
        this.meterUsageCache = meterUsageCache;
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/v1/meters/{meterId}/usage", this::meterUsage, Role.OPERATOR, Role.CUSTOMER);
        routes.get("/api/v1/customers/{customerId}/usage", this::customerUsage, Role.OPERATOR, Role.CUSTOMER);
    }

    /**
     * A customer sees a meter only for the spans it was assigned to them; served stale from cache while PostgreSQL is
     * away. As JSON, CSV or a Green Button feed (Accept: application/atom+xml, 15-minute intervals unless asked hourly).
     */
    private void meterUsage(Context ctx) {
        MeterId meterId = new MeterId(ctx.pathParam("meterId"));
        String representation = Responses.preferredOfJsonCsvAtom(ctx);
        String granularity = representation.equals(Responses.ATOM) ? GreenButtonFeed.granularity(ctx.queryParam("granularity"))
                : ctx.queryParam("granularity");
        UsageQuery query = UsageQuery.parse(ctx.queryParam("channel"), granularity, ctx.queryParam("tz"), ctx.queryParam("from"),
                ctx.queryParam("to"));
        Principal principal = Principal.of(ctx);
        String key = (principal.role() == Role.CUSTOMER ? principal.customerId() : "*") + "|" + meterId + "|" + query.cacheKey();
        StaleCache.Answer<UsageReport> answer = meterUsageCache.get(key, () -> database.call(() -> principal.role() == Role.CUSTOMER
                ? usage.meterUsage(meterId, query, customers.spansOf(principal.customerId(), meterId))
                : usage.meterUsage(meterId, query)));
        Responses.markStale(ctx, answer);
        switch (representation) {
            case Responses.CSV -> Responses.csv(ctx, Responses.usageCsv(answer.value().points()));
            case Responses.ATOM -> ctx.contentType(Responses.ATOM + "; charset=utf-8")
                    .result(GreenButtonFeed.render(answer.value(), query.zone(), Instant.now().truncatedTo(ChronoUnit.SECONDS)));
            default -> ctx.json(answer.value());
        }
    }

    private void customerUsage(Context ctx) {
        String customerId = ctx.pathParam("customerId");
        Principal.of(ctx).requireAccessTo(customerId);
        UsageQuery query = UsageQuery.parse(ctx.queryParam("channel"), ctx.queryParam("granularity"),
                ctx.queryParam("tz"), ctx.queryParam("from"), ctx.queryParam("to"));
        UsageService.CustomerUsage report = database.call(() -> usage.customerUsage(customerId, query, customers.spansOfCustomer(customerId)));
        if (Responses.wantsCsv(ctx)) {
            Responses.csv(ctx, Responses.usageCsv(report.points()));
        } else {
            ctx.json(report);
        }
    }
}
