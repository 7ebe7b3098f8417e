package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.IntervalReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.reading.RejectionReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per meter: drops resent readings, splits each new reading into its 15-minute buckets and emits the new
 * absolute total of every bucket it touched. Keyed by meter id, so one shuffle serves deduplication and
 * aggregation, and all of a meter's state sits together.
 *
 * <p>The clock is the largest Kafka record timestamp seen for the meter, never the wall clock or a watermark,
 * so a replay of the same log gives the same state and output.
 */
public class MeterUsage extends KeyedProcessFunction<String, IntervalReading, UsageBucket> {
    private static final long serialVersionUID = 1L;
    private static final long DAY_MILLIS = Duration.ofDays(1).toMillis();

    static final MapStateDescriptor<String, AcceptedReading> ACCEPTED_READINGS = new MapStateDescriptor<>("accepted-readings",
            Types.STRING, TypeInformation.of(AcceptedReading.class));
    static final MapStateDescriptor<BucketKey, BucketTotal> BUCKET_TOTALS = new MapStateDescriptor<>("bucket-totals",
            TypeInformation.of(BucketKey.class), TypeInformation.of(BucketTotal.class));

    private final long horizonMillis;
    private final long maxIntervalMillis;

    /**
     * readingId -> what was accepted under it. Cleared when the reading ends before clock - horizon: from then on a
     * resend of it is rejected as too late, so the entry can no longer be needed.
     */
    private transient MapState<String, AcceptedReading> accepted;
    /**
     * (channel, bucket start) -> running total. Cleared when the bucket ends before clock - horizon - max interval:
     * no reading accepted from then on can touch it (it must end within the horizon and span at most max interval).
     */
    private transient MapState<BucketKey, BucketTotal> buckets;
    /** Largest Kafka record timestamp seen for the meter. Never cleared: a silent meter keeps its clock. */
    private transient ValueState<Long> clock;
    /** Day (of the clock) of the last cleanup sweep: cleanup runs at most once per meter per day of record time. */
    private transient ValueState<Long> lastSweepDay;

    private transient Counter acceptedCount;
    private transient Counter duplicates;

    public MeterUsage(Duration latenessHorizon, Duration maxInterval) {
        this.horizonMillis = latenessHorizon.toMillis();
        this.maxIntervalMillis = maxInterval.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        accepted = getRuntimeContext().getMapState(ACCEPTED_READINGS);
        buckets = getRuntimeContext().getMapState(BUCKET_TOTALS);
        clock = getRuntimeContext().getState(new ValueStateDescriptor<>("record-clock", Types.LONG));
        lastSweepDay = getRuntimeContext().getState(new ValueStateDescriptor<>("last-sweep-day", Types.LONG));
        var metrics = getRuntimeContext().getMetricGroup();
        acceptedCount = metrics.counter("readingsAccepted");
        duplicates = metrics.counter("readingsDuplicate");
    }

    @Override
    public void processElement(IntervalReading reading, Context context, Collector<UsageBucket> out) throws Exception {
        long now = advanceClock(reading.recordTimestamp);
        if (reading.endMillis < now - horizonMillis) {
            // The parser checked the reading against its own record timestamp; this meter has seen later ones.
            reject(context, reading, RejectionReason.TOO_LATE, "end lies more than the lateness horizon before the meter's latest record");
            return;
        }
        AcceptedReading previous = accepted.get(reading.readingId);
        if (previous != null) {
            if (sameMeasurement(previous, reading)) {
                duplicates.inc();
            } else {
                reject(context, reading, RejectionReason.CONFLICTING_DUPLICATE,
                        "readingId " + reading.readingId + " was already accepted with another interval or energy");
            }
            return;
        }
        accepted.put(reading.readingId, new AcceptedReading(reading.channel, reading.startMillis, reading.endMillis,
                reading.energyMilliWattHours));
        acceptedCount.inc();
        for (ProRataSplit.Part part : ProRataSplit.split(reading.startMillis, reading.endMillis, reading.energyMilliWattHours)) {
            BucketKey key = new BucketKey(reading.channel, part.bucketStartMillis());
            BucketTotal total = buckets.get(key);
            if (total == null) {
                total = new BucketTotal(0, 0);
            }
            total.energyMilliWattHours += part.energyMilliWattHours();
            total.readingCount += 1;
            buckets.put(key, total);
            out.collect(new UsageBucket(reading.meterId, reading.channel, part.bucketStartMillis(),
                    total.energyMilliWattHours, total.readingCount));
        }
        sweepOncePerDay(now);
    }

    private long advanceClock(long recordTimestamp) throws Exception {
        Long current = clock.value();
        long now = current == null ? recordTimestamp : Math.max(current, recordTimestamp);
        if (current == null || now != current) {
            clock.update(now);
        }
        return now;
    }

    private void sweepOncePerDay(long now) throws Exception {
        long day = Math.floorDiv(now, DAY_MILLIS);
        Long last = lastSweepDay.value();
        if (last != null && last >= day) {
            return;
        }
        lastSweepDay.update(day);
        long readingsBefore = now - horizonMillis;
        removeIf(accepted, entry -> entry.getValue().endMillis < readingsBefore);
        long bucketsBefore = now - horizonMillis - maxIntervalMillis;
        removeIf(buckets,
                entry -> entry.getKey().bucketStartMillis + ProRataSplit.BUCKET_MILLIS < bucketsBefore);
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

    private static boolean sameMeasurement(AcceptedReading previous, IntervalReading reading) {
        return previous.startMillis == reading.startMillis && previous.endMillis == reading.endMillis
                && previous.energyMilliWattHours == reading.energyMilliWattHours && previous.channel.equals(reading.channel);
    }

    private static void reject(Context context, IntervalReading reading, RejectionReason reason, String detail) {
        context.output(ParseAndValidate.REJECTED, new Rejection(reading.source, reason, detail));
    }
}
