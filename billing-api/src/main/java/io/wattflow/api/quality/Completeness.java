package io.wattflow.api.quality;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;

/**
 * How much of a meter's data is there: per local day, the 15-minute intervals expected and those with an actual
 * bucket in {@code usage_15m}. A day has 96 intervals, 92 when the clocks go forward and 100 when they go back.
 */
public final class Completeness {
    private static final long INTERVAL_SECONDS = 900;

    private Completeness() {
    }

    /** {@code CompletenessDay} in the OpenAPI document. */
    public record Day(String date, int expected, int actual, int missing, BigDecimal actualPercent) {
        static Day of(LocalDate date, int expected, int actual) {
            return new Day(date.toString(), expected, actual, expected - actual, percent(actual, expected));
        }
    }

    /** {@code MeterCompleteness} in the OpenAPI document: the days of [from, to) and their sums. */
    public record MeterReport(String meterId, String channel, String tz, String from, String to, int expected, int actual,
                              int missing, BigDecimal actualPercent, List<Day> days) {
    }

    /**
     * The 15-minute UTC buckets that start within the local day: counted on the epoch, not from the day's length, so a
     * zone whose midnight is not on a quarter hour (historical local mean times) still counts the buckets it can hold.
     */
    public static int expectedIntervals(LocalDate date, ZoneId zone) {
        long start = date.atStartOfDay(zone).toEpochSecond();
        long end = date.plusDays(1).atStartOfDay(zone).toEpochSecond();
        return (int) (firstStartAtOrAfter(end) - firstStartAtOrAfter(start));
    }

    /** The index of the first 15-minute bucket that starts at or after the epoch second (Java 17 has no ceilDiv). */
    private static long firstStartAtOrAfter(long epochSecond) {
        return -Math.floorDiv(-epochSecond, INTERVAL_SECONDS);
    }

    /** Actual over expected in percent, 2 decimals, half-even; a day without intervals is complete. */
    public static BigDecimal percent(long actual, long expected) {
        if (expected == 0) {
            return new BigDecimal("100.00");
        }
        return BigDecimal.valueOf(actual * 100).divide(BigDecimal.valueOf(expected), 2, RoundingMode.HALF_EVEN);
    }
}
