package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.Plausibility;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rules of per-meter accounting.
 *
 * @param latenessHorizon     how far behind a meter's latest record a reading may be
 * @param maxInterval         the longest interval reading (bucket state is kept this much longer than the horizon)
 * @param maxAverageKilowatts the most power any meter draws unless its class says otherwise: bounds register advances
 *                            and rollovers
 * @param registerCapacities  meter id prefix (the meter class) -> register capacity in milli-Wh; the longest matching prefix wins
 * @param maxPowerKilowatts   meter id prefix (the meter class) -> the most power such a meter draws, in kW; the longest
 *                            matching prefix wins, else {@code maxAverageKilowatts}
 * @param maxRegisterSpan     a register span longer than this is not billed: the later value starts a new baseline, as
 *                            after a reset (no meter's gap may cost more than this many buckets); a silent register
 *                            meter's last value is kept this long
 * @param maxFutureSkew       how far after its record timestamp a reading may end (the parser's rule): bounds how far
 *                            ahead of its clock a meter's state reaches
 */
public record UsageRules(Duration latenessHorizon, Duration maxInterval, long maxAverageKilowatts,
                         TreeMap<String, Long> registerCapacities, TreeMap<String, Long> maxPowerKilowatts,
                         Duration maxRegisterSpan, Duration maxFutureSkew) implements Serializable {

    /** The default {@code maxRegisterSpan}: a register meter read once a year still bills its whole year. */
    public static final Duration DEFAULT_MAX_REGISTER_SPAN = Duration.ofDays(400);
    /** The default {@code maxFutureSkew}, as the parser's. */
    public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofMinutes(5);

    public static UsageRules of(Duration latenessHorizon, Duration maxInterval, long maxAverageKilowatts, Map<String, Long> capacities) {
        return new UsageRules(latenessHorizon, maxInterval, maxAverageKilowatts, new TreeMap<>(capacities), new TreeMap<>(),
                DEFAULT_MAX_REGISTER_SPAN, DEFAULT_MAX_FUTURE_SKEW);
    }

    /** A copy with maximum power per meter class (prefix -> kW). */
    public UsageRules withMaxPower(Map<String, Long> kilowattsByClass) {
        return new UsageRules(latenessHorizon, maxInterval, maxAverageKilowatts, registerCapacities, new TreeMap<>(kilowattsByClass),
                maxRegisterSpan, maxFutureSkew);
    }

    /** A copy with another longest billed register span. */
    public UsageRules withMaxRegisterSpan(Duration span) {
        return new UsageRules(latenessHorizon, maxInterval, maxAverageKilowatts, registerCapacities, maxPowerKilowatts, span, maxFutureSkew);
    }

    /** A copy with another largest skew of a reading's end past its record timestamp. */
    public UsageRules withMaxFutureSkew(Duration skew) {
        return new UsageRules(latenessHorizon, maxInterval, maxAverageKilowatts, registerCapacities, maxPowerKilowatts,
                maxRegisterSpan, skew);
    }

    /** Register capacity of the meter's class in milli-Wh, 0 when none is configured. */
    public long registerCapacity(String meterId) {
        return longestPrefix(registerCapacities, meterId, 0);
    }

    /** The most power the meter draws, in kW. */
    public long maxPower(String meterId) {
        return longestPrefix(maxPowerKilowatts, meterId, maxAverageKilowatts);
    }

    /** The most energy a span of this length can plausibly hold at the default power (any meter). */
    public long maxEnergy(long spanMillis) {
        return Plausibility.maxEnergy(maxAverageKilowatts, spanMillis);
    }

    /** The most energy this meter can measure in a span of this length. */
    public long maxEnergy(String meterId, long spanMillis) {
        return Plausibility.maxEnergy(maxPower(meterId), spanMillis);
    }

    private static long longestPrefix(TreeMap<String, Long> byPrefix, String meterId, long otherwise) {
        long value = otherwise;
        int longest = -1;
        for (Map.Entry<String, Long> entry : byPrefix.entrySet()) {
            if (meterId.startsWith(entry.getKey()) && entry.getKey().length() > longest) {
                longest = entry.getKey().length();
                value = entry.getValue();
            }
        }
        return value;
    }
}
