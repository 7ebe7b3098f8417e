package io.wattflow.api.customer;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.JsonBodies;
import io.wattflow.api.Responses;
import io.wattflow.api.auth.Principal;
import io.wattflow.api.auth.Role;
import io.wattflow.api.billing.Bill;
import io.wattflow.api.resilience.DatabaseGuard;
import io.wattflow.api.resilience.StaleCache;
import java.time.YearMonth;

/** Customers, their tariffs and meters, and the bill a period would get. */
public final class CustomerRoutes {
    private final CustomerService customers;
    private final DatabaseGuard database;
    private final StaleCache<Bill> previewCache;

    public CustomerRoutes(CustomerService customers, DatabaseGuard database, StaleCache<Bill> previewCache) {
        this.customers = customers;
        this.database = database;
        this.previewCache = previewCache;
    }

    public void register(RoutesConfig routes) {
        routes.post("/api/v1/customers", this::create, Role.ADMIN);
        routes.get("/api/v1/customers/{customerId}", this::get, Role.OPERATOR, Role.CUSTOMER);
        routes.post("/api/v1/customers/{customerId}/tariffs", this::linkTariff, Role.ADMIN);
        routes.put("/api/v1/meters/{meterId}/assignment", this::assign, Role.ADMIN);
        routes.get("/api/v1/customers/{customerId}/bill-preview", this::billPreview, Role.OPERATOR, Role.CUSTOMER);
    }

    private void create(Context ctx) {
        ctx.status(201).json(customers.create(JsonBodies.read(ctx, CustomerRequests.CreateCustomer.class)));
    }

    private void get(Context ctx) {
        Principal.of(ctx).requireAccessTo(ctx.pathParam("customerId"));
        ctx.json(customers.get(ctx.pathParam("customerId")));
    }

    private void linkTariff(Context ctx) {
        ctx.status(201).json(customers.linkTariff(ctx.pathParam("customerId"), JsonBodies.read(ctx, CustomerRequests.TariffLink.class)));
    }

    private void assign(Context ctx) {
        ctx.json(customers.assign(new MeterId(ctx.pathParam("meterId")), JsonBodies.read(ctx, CustomerRequests.Assignment.class)));
    }

    /** Served stale from cache while PostgreSQL is away. */
    private void billPreview(Context ctx) {
        String customerId = ctx.pathParam("customerId");
        Principal.of(ctx).requireAccessTo(customerId);
        YearMonth period = CustomerService.period(ctx.queryParam("period"));
        StaleCache.Answer<Bill> answer = previewCache.get(customerId + "|" + period,
                () -> database.call(() -> customers.billOf(customerId, period)));
        Responses.markStale(ctx, answer);
        ctx.json(answer.value());
    }
}
