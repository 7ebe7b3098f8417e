package io.wattflow.api.report;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.Responses;
import io.wattflow.api.auth.Role;
import io.wattflow.api.customer.CustomerService;
import io.wattflow.api.resilience.DatabaseGuard;
import java.util.List;
import java.time.YearMonth;

/** The operators' consumption report, one page at a time. */
public final class ReportRoutes {
    private final ConsumptionReport consumption;
    private final DatabaseGuard database;

    public ReportRoutes(ConsumptionReport consumption, DatabaseGuard database) {
        this.consumption = consumption;
        this.database = database;
    }

    /** A page of the report as JSON; {@code nextOffset} is null on the last page. */
    public record Body(String period, List<? extends ConsumptionReport.Row> rows, Integer nextOffset) {
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/v1/reports/consumption", this::consumption, Role.OPERATOR);
    }

    private void consumption(Context ctx) {
        YearMonth period = CustomerService.period(ctx.queryParam("period"));
        ConsumptionReport.Page page = database.call(() -> consumption.build(period, ctx.queryParam("groupBy"),
                ctx.queryParam("limit"), ctx.queryParam("offset")));
        if (Responses.wantsCsv(ctx)) {
            Responses.csv(ctx, ConsumptionReport.csv(page));
        } else {
            ctx.json(new Body(period.toString(), page.rows(), page.nextOffset()));
        }
    }
}
