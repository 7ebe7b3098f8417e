package io.wattflow.api;

import io.javalin.http.Context;
import io.wattflow.api.resilience.StaleCache;
import io.wattflow.api.usage.UsageReport;
import java.util.List;
import java.util.Locale;

/** How answers are written, where routes of several packages share it. */
public final class Responses {
    private Responses() {
    }

    public static final String JSON = "application/json";
    public static final String CSV = "text/csv";
    public static final String ATOM = "application/atom+xml";

    /**
     * CSV only when the client prefers it: {@code Accept: text/csv}, or text/csv at a higher quality than JSON. A client
     * that accepts both equally (generated clients list every type the document names) gets JSON.
     */
    public static boolean wantsCsv(Context ctx) {
        return prefersCsv(ctx.header("Accept"));
    }

    static boolean prefersCsv(String accept) {
        return preferredType(accept, List.of(JSON, CSV)).equals(CSV);
    }

    /** Of JSON, CSV and Atom, the one the client prefers; JSON when it accepts several equally. */
    public static String preferredOfJsonCsvAtom(Context ctx) {
        return preferredType(ctx.header("Accept"), List.of(JSON, CSV, ATOM));
    }

    /**
     * The offered type the Accept header weighs highest; the first offered (the default) wins ties, and answers an
     * absent, oversized or wildcard-only header.
     */
    static String preferredType(String accept, List<String> offered) {
        if (accept == null || accept.length() > 1_000) {
            return offered.get(0);
        }
        int[] best = new int[offered.size()];
        for (String range : accept.split(",", 50)) {
            String[] parts = range.split(";");
            String type = parts[0].strip().toLowerCase(Locale.ROOT);
            int quality = 1000; // q in thousandths: q=0.5 is 500
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].strip();
                if (parameter.startsWith("q=")) {
                    quality = quality(parameter.substring(2));
                }
            }
            int index = offered.indexOf(type);
            if (index >= 0) {
                best[index] = Math.max(best[index], quality);
            }
        }
        int chosen = 0;
        for (int i = 1; i < best.length; i++) {
            if (best[i] > best[chosen]) {
                chosen = i;
            }
        }
        return offered.get(chosen);
    }

    /** An RFC 9110 weight, 0 to 1 with up to three decimals, in thousandths; anything else counts as 0. */
    private static int quality(String weight) {
        if (!weight.matches("(0(\\.\\d{0,3})?|1(\\.0{0,3})?)")) {
            return 0;
        }
        String digits = (weight + ".000").replace(".", "");
        return Integer.parseInt(digits.substring(0, 4));
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
