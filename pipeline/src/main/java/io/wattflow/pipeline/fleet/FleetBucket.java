package io.wattflow.pipeline.fleet;

import java.time.Instant;
import java.util.Objects;

/** Fleet-wide total of one channel and 15-minute bucket: energy of all meters and how many meters reported. */
public class FleetBucket {
    public String channel;
    public long bucketStartMillis;
    public long energyMilliWattHours;
    public long meters;

    public FleetBucket() {
    }

    public FleetBucket(String channel, long bucketStartMillis, long energyMilliWattHours, long meters) {
        this.channel = channel;
        this.bucketStartMillis = bucketStartMillis;
        this.energyMilliWattHours = energyMilliWattHours;
        this.meters = meters;
    }

    /** Key of the second aggregation phase. */
    public String key() {
        return channel + "@" + bucketStartMillis;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FleetBucket that && bucketStartMillis == that.bucketStartMillis
                && energyMilliWattHours == that.energyMilliWattHours && meters == that.meters && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(channel, bucketStartMillis, energyMilliWattHours, meters);
    }

    @Override
    public String toString() {
        return channel + "@" + Instant.ofEpochMilli(bucketStartMillis) + "=" + energyMilliWattHours + " mWh from " + meters + " meters";
    }
}
