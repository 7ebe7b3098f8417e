package io.wattflow.pipeline.usage;

import java.util.Arrays;

/**
 * Keyed state value: the running total of one bucket, and the interval readings that overlap it, so that a
 * later interval can be recognised as a resend, a conflict or an overlap without scanning the meter's state.
 */
public class BucketTotal {
    public long energyMilliWattHours;
    /** Readings and register spans that contributed. */
    public int readingCount;
    /** Accepted interval readings overlapping this bucket: starts, ends and energies at the same index. */
    public long[] intervalStarts = new long[0];
    public long[] intervalEnds = new long[0];
    public long[] intervalEnergies = new long[0];

    public BucketTotal() {
    }

    public BucketTotal(long energyMilliWattHours, int readingCount) {
        this.energyMilliWattHours = energyMilliWattHours;
        this.readingCount = readingCount;
    }

    void addInterval(long start, long end, long energy) {
        int n = intervalStarts.length;
        intervalStarts = Arrays.copyOf(intervalStarts, n + 1);
        intervalEnds = Arrays.copyOf(intervalEnds, n + 1);
        intervalEnergies = Arrays.copyOf(intervalEnergies, n + 1);
        intervalStarts[n] = start;
        intervalEnds[n] = end;
        intervalEnergies[n] = energy;
    }
}
