package io.wattflow.pipeline.usage;

import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rules of per-meter accounting.
 *
 * @param latenessHorizon    how far behind a meter's latest record a reading may be
 * @param maxInterval        the longest interval reading (bucket state is kept this much longer than the horizon)
 * @param maxAverageKilowatts bound of a plausible register rollover
 * @param registerCapacities meter id prefix (the meter class) -> register capacity in milli-Wh; the longest matching prefix wins
 */
public record UsageRules(Duration latenessHorizon, Duration maxInterval, long maxAverageKilowatts,
                         TreeMap<String, Long> registerCapacities) implements Serializable {

    public static UsageRules of(Duration latenessHorizon, Duration maxInterval, long maxAverageKilowatts, Map<String, Long> capacities) {
        return new UsageRules(latenessHorizon, maxInterval, maxAverageKilowatts, new TreeMap<>(capacities));
    }

    /** Register capacity of the meter's class in milli-Wh, 0 when none is configured. */
    public long registerCapacity(String meterId) {
        long capacity = 0;
        int longest = -1;
        for (Map.Entry<String, Long> entry : registerCapacities.entrySet()) {
            if (meterId.startsWith(entry.getKey()) && entry.getKey().length() > longest) {
                longest = entry.getKey().length();
                capacity = entry.getValue();
            }
        }
        return capacity;
    }

    /** The most energy a span of this length can plausibly hold: 1 kW for 1 ms is 1/3.6 mWh. */
    public long maxEnergy(long spanMillis) {
        return Math.multiplyExact(maxAverageKilowatts, spanMillis) * 10 / 36;
    }
}
