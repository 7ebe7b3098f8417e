package io.wattflow.pipeline.usage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.api.common.state.MapState;

/**
 * What of a meter's state no acceptable reading can reach any more. Readings are too late once they end before the
 * meter's clock less the horizon, or before the watermark; what only such readings could repeat, overlap or
 * re-split goes. While a meter reports, once per day of its records; once it falls silent, when its expiry timer
 * fires, and then entirely (but for a register channel's last value, until no span from it can be billed).
 */
final class MeterSweep {
    static final long DAY_MILLIS = Duration.ofDays(1).toMillis();

    /**
     * What a fired timer leaves of a meter: nothing ({@code forgotten}), or its state with the time of a timer to
     * register ({@code Long.MIN_VALUE}: none, the meter reports again and its own expiry timer is pending).
     */
    record AfterTimer(boolean forgotten, long nextTimer) {
        static final AfterTimer REPORTING = new AfterTimer(false, Long.MIN_VALUE);
        static final AfterTimer FORGOTTEN = new AfterTimer(true, Long.MIN_VALUE);
    }

    private final UsageRules rules;
    private final MeterState state;

    MeterSweep(UsageRules rules, MeterState state) {
        this.rules = rules;
        this.state = state;
    }

    /**
     * When the watermark has passed everything a meter whose clock lies in this day can hold: every reading it
     * accepted ends before the day's end plus {@code maxFutureSkew}, so once every later reading ends after that
     * plus the longest interval (rounded up to a bucket's end), none can repeat, overlap or share a bucket with them.
     */
    long expiryTimer(long clockDay) {
        long latestEnd = Math.addExact((clockDay + 1) * DAY_MILLIS, rules.maxFutureSkew().toMillis());
        long bucketEnd = Math.floorDiv(latestEnd + ProRataSplit.BUCKET_MILLIS - 1, ProRataSplit.BUCKET_MILLIS) * ProRataSplit.BUCKET_MILLIS;
        return Math.addExact(bucketEnd, rules.maxInterval().toMillis());
    }

    /** The sweep of a reporting meter, by its own clock. */
    void sweepByClock(long clock) throws Exception {
        sweep(clock - rules.latenessHorizon().toMillis());
    }

    /**
     * The watermark has reached {@code timestamp}: sweeps up to it. A meter left with nothing but its register
     * channels' last values keeps them until no span from them can be billed; a meter left with nothing is cleared.
     */
    AfterTimer onTimer(long timestamp, long clock) throws Exception {
        sweep(Math.max(timestamp, clock - rules.latenessHorizon().toMillis()));
        if (!state.accepted.isEmpty()) {
            return AfterTimer.REPORTING;
        }
        long newestRegisterValue = Long.MIN_VALUE;
        for (RegisterKey key : state.registerValues.keys()) {
            newestRegisterValue = Math.max(newestRegisterValue, key.timestampMillis);
        }
        if (newestRegisterValue != Long.MIN_VALUE) {
            long noSpanBilled = Math.addExact(Math.addExact(newestRegisterValue, rules.maxRegisterSpan().toMillis()), 1);
            if (timestamp < noSpanBilled) {
                return new AfterTimer(false, noSpanBilled);
            }
        }
        state.clear();
        return AfterTimer.FORGOTTEN;
    }

    /** Removes what no reading ending at or after {@code cutoff} can repeat, overlap or re-split. */
    private void sweep(long cutoff) throws Exception {
        removeIf(state.accepted, entry -> entry.getValue().endMillis < cutoff);

        // Per register channel: keep every value from the cutoff on, and the newest one before it.
        Map<String, Long> newestBeforeCutoff = new LinkedHashMap<>();
        for (RegisterKey key : state.registerValues.keys()) {
            if (key.timestampMillis < cutoff) {
                newestBeforeCutoff.merge(key.channel, key.timestampMillis, Math::max);
            }
        }
        removeIf(state.registerValues, entry -> entry.getKey().timestampMillis < newestBeforeCutoff.getOrDefault(entry.getKey().channel, Long.MIN_VALUE));
        Map<String, Long> oldestKept = new LinkedHashMap<>();
        for (RegisterKey key : state.registerValues.keys()) {
            oldestKept.merge(key.channel, key.timestampMillis, Math::min);
        }

        // an interval reading ending at or after the cutoff starts at or after this
        long intervalBucketsBefore = cutoff - rules.maxInterval().toMillis();
        removeIf(state.buckets, entry -> {
            long bucketEnd = entry.getKey().bucketStartMillis + ProRataSplit.BUCKET_MILLIS;
            Long registerStart = oldestKept.get(entry.getKey().channel);
            return registerStart != null ? bucketEnd <= registerStart : bucketEnd <= intervalBucketsBefore;
        });
    }

    private static <K, V> void removeIf(MapState<K, V> state, Predicate<Map.Entry<K, V>> expired) throws Exception {
        List<K> keys = new ArrayList<>();
        for (Map.Entry<K, V> entry : state.entries()) {
            if (expired.test(entry)) {
                keys.add(entry.getKey());
            }
        }
        for (K key : keys) {
            state.remove(key);
        }
    }
}
