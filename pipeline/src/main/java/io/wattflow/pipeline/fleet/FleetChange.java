package io.wattflow.pipeline.fleet;

import java.time.Instant;
import java.util.Objects;

/**
 * What one meter's reading changed in one fleet bucket: the energy it added to the meter's bucket (negative when a
 * register span was re-split away), and 1 when the meter's bucket is new. Emitted by the per-meter operator on a side
 * output; {@link FleetChanges} sums them. A Flink POJO (no Kryo).
 */
public class FleetChange {
    public String channel;
    public long bucketStartMillis;
    public long energyMilliWattHours;
    public int newMeters;

    public FleetChange() {
    }

    public FleetChange(String channel, long bucketStartMillis, long energyMilliWattHours, int newMeters) {
        this.channel = channel;
        this.bucketStartMillis = bucketStartMillis;
        this.energyMilliWattHours = energyMilliWattHours;
        this.newMeters = newMeters;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FleetChange that && bucketStartMillis == that.bucketStartMillis
                && energyMilliWattHours == that.energyMilliWattHours && newMeters == that.newMeters && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(channel, bucketStartMillis, energyMilliWattHours, newMeters);
    }

    @Override
    public String toString() {
        return channel + "@" + Instant.ofEpochMilli(bucketStartMillis) + ": " + energyMilliWattHours + " mWh, " + newMeters + " new meters";
    }
}
