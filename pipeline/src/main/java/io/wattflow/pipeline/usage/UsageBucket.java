package io.wattflow.pipeline.usage;

import java.time.Instant;
import java.util.Objects;

/**
 * The absolute total of one (meter, channel, 15-minute bucket): what {@code usage_15m} and the InfluxDB point
 * hold. Absolute, so writing it again (after a replay) gives the same row.
 */
public class UsageBucket {
    public String meterId;
    public String channel;
    public long bucketStartMillis;
    public long energyMilliWattHours;
    public int readingCount;

    public UsageBucket() {
    }

    public UsageBucket(String meterId, String channel, long bucketStartMillis, long energyMilliWattHours, int readingCount) {
        this.meterId = meterId;
        this.channel = channel;
        this.bucketStartMillis = bucketStartMillis;
        this.energyMilliWattHours = energyMilliWattHours;
        this.readingCount = readingCount;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof UsageBucket that && bucketStartMillis == that.bucketStartMillis
                && energyMilliWattHours == that.energyMilliWattHours && readingCount == that.readingCount
                && Objects.equals(meterId, that.meterId) && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(meterId, channel, bucketStartMillis, energyMilliWattHours, readingCount);
    }

    @Override
    public String toString() {
        return meterId + "/" + channel + "@" + Instant.ofEpochMilli(bucketStartMillis) + "=" + energyMilliWattHours
                + " mWh (" + readingCount + " readings)";
    }
}
