package io.wattflow.api.usage;

import java.math.BigDecimal;
import java.util.List;

/** The usage response: energy in kWh as exact decimals with 6 places (1 milli-Wh resolution). */
public record UsageReport(String meterId, String channel, String granularity, String tz, String unit, List<Point> points,
                          BigDecimal totalKwh) {

    /** One point: [start, end) with the offset of the report's time zone. */
    public record Point(String start, String end, BigDecimal kwh) {
    }

    /** About the heap this report takes: its fields, and per point two timestamps and a decimal. */
    public int approximateBytes() {
        return 512 + 200 * points.size();
    }

    public static BigDecimal kilowattHours(long milliWattHours) {
        return BigDecimal.valueOf(milliWattHours, 6);
    }
}
