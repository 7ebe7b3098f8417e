package io.wattflow.api.quality;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.wattflow.api.Responses;
import io.wattflow.api.auth.Role;
import io.wattflow.api.customer.MeterId;
import io.wattflow.api.resilience.DatabaseGuard;
import io.wattflow.api.run.Pages;
import io.wattflow.api.usage.UsageQuery;

/** Operators' view of how complete the meters' data is: per meter and day, and the fleet's day with its worst meters. */
public final class CompletenessRoutes {
    private final CompletenessService completeness;
    private final DatabaseGuard database;

    public CompletenessRoutes(CompletenessService completeness, DatabaseGuard database) {
        this.completeness = completeness;
        this.database = database;
    }

    public void register(RoutesConfig routes) {
        routes.get("/api/v1/meters/{meterId}/completeness", this::meter, Role.OPERATOR);
        routes.get("/api/v1/reports/completeness", this::fleet, Role.OPERATOR);
    }

    private void meter(Context ctx) {
        MeterId meterId = new MeterId(ctx.pathParam("meterId"));
        UsageQuery query = UsageQuery.parse(ctx.queryParam("channel"), "day", ctx.queryParam("tz"), ctx.queryParam("from"),
                ctx.queryParam("to"));
        Completeness.MeterReport report = database.call(() -> completeness.meter(meterId, query));
        if (Responses.wantsCsv(ctx)) {
            StringBuilder csv = new StringBuilder("date,expected,actual,missing,actualPercent\r\n");
            report.days().forEach(day -> csv.append(day.date()).append(',').append(day.expected()).append(',').append(day.actual())
                    .append(',').append(day.missing()).append(',').append(day.actualPercent().toPlainString()).append("\r\n"));
            Responses.csv(ctx, csv.toString());
        } else {
            ctx.json(report);
        }
    }

    private void fleet(Context ctx) {
        CompletenessService.FleetQuery query = CompletenessService.FleetQuery.parse(ctx.queryParam("date"), ctx.queryParam("tz"),
                ctx.queryParam("channel"), ctx.queryParam("threshold"));
        int limit = Pages.limit(ctx.queryParam("limit"));
        int offset = Pages.offset(ctx.queryParam("offset"));
        CompletenessService.FleetReport report = database.call(() -> completeness.fleet(query, limit, offset));
        if (Responses.wantsCsv(ctx)) {
            StringBuilder csv = new StringBuilder("meterId,actual,missing,actualPercent\r\n");
            // meter ids are letters, digits and . _ : - (MeterId, the pipeline's rule): nothing to quote
            report.rows().forEach(row -> csv.append(row.meterId()).append(',').append(row.actual()).append(',').append(row.missing())
                    .append(',').append(row.actualPercent().toPlainString()).append("\r\n"));
            Responses.csv(ctx, csv.toString());
        } else {
            ctx.json(report);
        }
    }
}
