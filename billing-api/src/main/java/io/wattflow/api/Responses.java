package io.wattflow.api;

import io.javalin.http.Context;
import io.wattflow.api.resilience.StaleCache;
import io.wattflow.api.usage.UsageReport;
import java.util.List;

/** How answers are written, where routes of several packages share it. */
public final class Responses {
    private Responses() {
    }

    /** The client asked for CSV ({@code Accept: text/csv}); JSON otherwise. */
    public static boolean wantsCsv(Context ctx) {
        String accept = ctx.header("Accept");
        return accept != null && accept.contains("text/csv");
    }

    public static void csv(Context ctx, String csv) {
        ctx.contentType("text/csv; charset=utf-8").result(csv);
    }

    /** A usage report as RFC 4180 CSV: start, end, kWh (exact, 6 decimals) per point. */
    public static String usageCsv(List<UsageReport.Point> points) {
        StringBuilder csv = new StringBuilder("start,end,kwh\r\n");
        for (UsageReport.Point point : points) {
            csv.append(point.start()).append(',').append(point.end()).append(',').append(point.kwh().toPlainString()).append("\r\n");
        }
        return csv.toString();
    }

    /** A cached answer served while the database is away says so. */
    public static void markStale(Context ctx, StaleCache.Answer<?> answer) {
        answer.staleAge().ifPresent(age -> {
            ctx.header("Age", Long.toString(age.toSeconds()));
            ctx.header("Warning", "110 - \"Response is Stale\"");
            ctx.header("X-Wattflow-Stale", "true");
        });
    }
}
