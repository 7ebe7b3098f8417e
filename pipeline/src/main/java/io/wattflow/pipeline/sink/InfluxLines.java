package io.wattflow.pipeline.sink;

import com.influxdb.client.domain.WritePrecision;
import com.influxdb.client.write.Point;
import io.wattflow.pipeline.fleet.FleetBucket;
import io.wattflow.pipeline.usage.UsageBucket;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.function.Function;

/** The InfluxDB points of the pipeline, as line protocol with millisecond timestamps. */
public final class InfluxLines {
    static final WritePrecision PRECISION = WritePrecision.MS;
    /** 1 kW for 15 minutes is 250,000 mWh. */
    private static final BigDecimal MILLI_WATT_HOURS_PER_KW_QUARTER_HOUR = BigDecimal.valueOf(250_000);

    private InfluxLines() {
    }

    /** A point and the key that identifies it (the same key = the same point, a rewrite replaces it). */
    public record Line(String key, String line) {
    }

    /** How one element becomes a point. */
    public interface Mapper<T> extends Function<T, Line>, Serializable {
    }

    /** Measurement {@code energy}: tags meter_id and channel, integer field energy_mwh, time = bucket start. */
    public static Point energy(String meterId, String channel, long bucketStartMillis, long energyMilliWattHours) {
        return Point.measurement("energy").addTag("meter_id", meterId).addTag("channel", channel)
                .addField("energy_mwh", energyMilliWattHours).time(bucketStartMillis, PRECISION);
    }

    /**
     * Measurement {@code fleet}: tag channel, integer fields energy_mwh and meters, and average_kw (the mean power per
     * reporting meter over the bucket, a float for dashboards: billing never reads it).
     */
    public static Point fleet(FleetBucket bucket) {
        double averageKilowatts = bucket.meters == 0 ? 0 : BigDecimal.valueOf(bucket.energyMilliWattHours)
                .divide(MILLI_WATT_HOURS_PER_KW_QUARTER_HOUR.multiply(BigDecimal.valueOf(bucket.meters)), 6, RoundingMode.HALF_EVEN)
                .doubleValue();
        return Point.measurement("fleet").addTag("channel", bucket.channel).addField("energy_mwh", bucket.energyMilliWattHours)
                .addField("meters", bucket.meters).addField("average_kw", averageKilowatts).time(bucket.bucketStartMillis, PRECISION);
    }

    /**
     * The point's line and its key (measurement and tags as the line escapes them, then the time). The line is
     * rendered once per point: rendering escapes, sorts the tags and formats the fields.
     */
    static Line line(Point point, long timeMillis) {
        String line = point.toLineProtocol();
        return new Line(line.substring(0, line.indexOf(' ')) + " " + timeMillis, line);
    }

    public static final Mapper<UsageBucket> ENERGY = bucket ->
            line(energy(bucket.meterId, bucket.channel, bucket.bucketStartMillis, bucket.energyMilliWattHours), bucket.bucketStartMillis);

    public static final Mapper<FleetBucket> FLEET = bucket -> line(fleet(bucket), bucket.bucketStartMillis);
}
