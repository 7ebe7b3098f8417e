package io.wattflow.pipeline.usage;

/** Keyed state value: the running total of one bucket. */
public class BucketTotal {
    public long energyMilliWattHours;
    public int readingCount;

    public BucketTotal() {
    }

    public BucketTotal(long energyMilliWattHours, int readingCount) {
        this.energyMilliWattHours = energyMilliWattHours;
        this.readingCount = readingCount;
    }
}
