package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.ReadingKind;
import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * A meter's keyed state. The names and types are those of the released savepoints: changing one breaks
 * {@code SavepointCompatibilityIT}, and running jobs with it.
 */
final class MeterState {
    /** readingId -> the accepted reading. Cleared once the reading ends before clock - horizon (a resend is then too late). */
    static final MapStateDescriptor<String, AcceptedReading> ACCEPTED_READINGS = new MapStateDescriptor<>("accepted-readings",
            Types.STRING, TypeInformation.of(AcceptedReading.class));
    /**
     * (channel, bucket start) -> running total and the intervals overlapping it. Interval channels: cleared once the
     * bucket ends before clock - horizon - max interval (no acceptable reading can reach it). Register channels:
     * cleared once it ends before the oldest register value kept (no re-split can reach it).
     */
    static final MapStateDescriptor<BucketKey, BucketTotal> BUCKET_TOTALS = new MapStateDescriptor<>("bucket-totals",
            TypeInformation.of(BucketKey.class), TypeInformation.of(BucketTotal.class));
    /** channel -> the kind it reports (interval or register), fixed by its first accepted reading. Cleared when the meter is forgotten. */
    static final MapStateDescriptor<String, ReadingKind> CHANNEL_KINDS = new MapStateDescriptor<>("channel-kinds",
            Types.STRING, TypeInformation.of(ReadingKind.class));
    /**
     * (channel, timestamp) -> register value. Values older than clock - horizon are cleared except the newest of them,
     * which stays as the left end of any span a late value may re-split, and of the next span: a silent meter keeps
     * its last value until the watermark is {@code maxRegisterSpan} past it.
     */
    static final MapStateDescriptor<RegisterKey, Long> REGISTER_VALUES = new MapStateDescriptor<>("register-values",
            TypeInformation.of(RegisterKey.class), Types.LONG);
    /** Largest Kafka record timestamp seen for the meter. Cleared when the meter is forgotten. */
    static final ValueStateDescriptor<Long> CLOCK = new ValueStateDescriptor<>("record-clock", Types.LONG);
    /**
     * Day of the clock at the last cleanup sweep: cleanup runs at most once per meter per day of record time, and the
     * meter's one expiry timer is moved then.
     */
    static final ValueStateDescriptor<Long> LAST_SWEEP_DAY = new ValueStateDescriptor<>("last-sweep-day", Types.LONG);

    final MapState<String, AcceptedReading> accepted;
    final MapState<BucketKey, BucketTotal> buckets;
    final MapState<String, ReadingKind> channelKinds;
    final MapState<RegisterKey, Long> registerValues;
    final ValueState<Long> clock;
    final ValueState<Long> lastSweepDay;

    /** The state of whichever meter the store's key is at. */
    MeterState(KeyedStateStore store) {
        accepted = store.getMapState(ACCEPTED_READINGS);
        buckets = store.getMapState(BUCKET_TOTALS);
        channelKinds = store.getMapState(CHANNEL_KINDS);
        registerValues = store.getMapState(REGISTER_VALUES);
        clock = store.getState(CLOCK);
        lastSweepDay = store.getState(LAST_SWEEP_DAY);
    }

    /** Forgets the current meter entirely. */
    void clear() {
        accepted.clear();
        buckets.clear();
        channelKinds.clear();
        registerValues.clear();
        clock.clear();
        lastSweepDay.clear();
    }
}
