package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.ReadingKind;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.reading.RejectionReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Per meter: recognises resends, conflicts and overlaps, turns interval readings and register spans into energy per
 * 15-minute bucket, and emits the new absolute total of every bucket a reading changed. Keyed by meter id, so one
 * shuffle serves deduplication and aggregation, and a meter's state sits together.
 *
 * <p>The clock is the largest Kafka record timestamp seen for the meter, never the wall clock or a watermark, so a
 * replay of the same log gives the same state and output.
 */
public class MeterUsage extends KeyedProcessFunction<String, MeterReading, UsageBucket> {
    private static final long serialVersionUID = 1L;
    private static final long DAY_MILLIS = Duration.ofDays(1).toMillis();

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
    /** channel -> the kind it reports (interval or register), fixed by its first accepted reading. Never cleared. */
    static final MapStateDescriptor<String, ReadingKind> CHANNEL_KINDS = new MapStateDescriptor<>("channel-kinds",
            Types.STRING, TypeInformation.of(ReadingKind.class));
    /**
     * (channel, timestamp) -> register value. Values older than clock - horizon are cleared except the newest of them,
     * which stays as the left end of any span a late value may re-split; so a silent meter keeps its last value forever.
     */
    static final MapStateDescriptor<RegisterKey, Long> REGISTER_VALUES = new MapStateDescriptor<>("register-values",
            TypeInformation.of(RegisterKey.class), Types.LONG);
    /** Largest Kafka record timestamp seen for the meter. Never cleared: a silent meter keeps its clock. */
    static final ValueStateDescriptor<Long> CLOCK = new ValueStateDescriptor<>("record-clock", Types.LONG);
    /** Day of the clock at the last cleanup sweep: cleanup runs at most once per meter per day of record time. */
    static final ValueStateDescriptor<Long> LAST_SWEEP_DAY = new ValueStateDescriptor<>("last-sweep-day", Types.LONG);

    private final UsageRules rules;

    private transient MapState<String, AcceptedReading> accepted;
    private transient MapState<BucketKey, BucketTotal> buckets;
    private transient MapState<String, ReadingKind> channelKinds;
    private transient MapState<RegisterKey, Long> registerValues;
    private transient ValueState<Long> clock;
    private transient ValueState<Long> lastSweepDay;

    /** Bucket totals the overlap check of the current reading already read: apply() updates them without reading again. */
    private transient Map<BucketKey, BucketTotal> bucketsRead;
    /** meter id -> {@link MeterHint}; at most {@link #MAX_HINTS} meters per subtask (about 200 bytes each). */
    private transient Map<String, MeterHint> hints;
    static final int MAX_HINTS = 200_000;

    private transient Counter acceptedCount;
    private transient Counter duplicates;
    private transient Counter registerResets;
    private transient Counter registerRollovers;

    public MeterUsage(UsageRules rules) {
        this.rules = rules;
    }

    @Override
    public void open(OpenContext openContext) {
        accepted = getRuntimeContext().getMapState(ACCEPTED_READINGS);
        buckets = getRuntimeContext().getMapState(BUCKET_TOTALS);
        channelKinds = getRuntimeContext().getMapState(CHANNEL_KINDS);
        registerValues = getRuntimeContext().getMapState(REGISTER_VALUES);
        clock = getRuntimeContext().getState(CLOCK);
        lastSweepDay = getRuntimeContext().getState(LAST_SWEEP_DAY);
        bucketsRead = new java.util.HashMap<>();
        hints = new java.util.HashMap<>();
        var metrics = getRuntimeContext().getMetricGroup();
        acceptedCount = metrics.counter("readingsAccepted");
        duplicates = metrics.counter("readingsDuplicate");
        registerResets = metrics.counter("registerResets");
        registerRollovers = metrics.counter("registerRollovers");
    }

    @Override
    public void processElement(MeterReading reading, Context context, Collector<UsageBucket> out) throws Exception {
        MeterHint hint = hint(reading.meterId);
        long now = advanceClock(hint, reading.recordTimestamp);
        bucketsRead.clear();
        try {
            ReadingKind established = hint.kinds.get(reading.channel);
            if (established == null) {
                established = channelKinds.get(reading.channel);
                if (established != null) {
                    hint.kinds.put(reading.channel, established);
                }
            }
            Map<BucketKey, long[]> changes = isResend(reading, now, established) ? null
                    : reading.kind == ReadingKind.INTERVAL ? interval(reading) : register(reading);
            if (changes == null) {
                duplicates.inc();
            } else {
                accepted.put(reading.readingId, new AcceptedReading(reading));
                if (established == null) {
                    channelKinds.put(reading.channel, reading.kind);
                    hint.kinds.put(reading.channel, reading.kind);
                }
                acceptedCount.inc();
                apply(reading, changes, out);
            }
        } catch (Rejected rejected) {
            context.output(ParseAndValidate.REJECTED, new Rejection(reading.source, rejected.reason, rejected.getMessage()));
        }
        sweepOncePerDay(hint, now);
    }

    /**
     * What this instance last read or wrote of the meter's clock, sweep day and channel kinds: the same values as in
     * state, since this operator is their only writer, so reading them again costs a RocksDB lookup for nothing. A
     * restored or rescaled job starts with no hints and reads state; the map is bounded and simply forgotten when full.
     */
    static final class MeterHint {
        long clock = Long.MIN_VALUE;
        long sweptDay = Long.MIN_VALUE;
        final Map<String, ReadingKind> kinds = new java.util.HashMap<>(4);
    }

    private MeterHint hint(String meterId) throws Exception {
        MeterHint hint = hints.get(meterId);
        if (hint == null) {
            if (hints.size() >= MAX_HINTS) {
                hints.clear();
            }
            hint = new MeterHint();
            Long storedClock = clock.value();
            Long storedSweep = lastSweepDay.value();
            hint.clock = storedClock == null ? Long.MIN_VALUE : storedClock;
            hint.sweptDay = storedSweep == null ? Long.MIN_VALUE : storedSweep;
            hints.put(meterId, hint);
        }
        return hint;
    }

    /** True for a resend under the same readingId; throws for a reading the meter's state refuses. */
    private boolean isResend(MeterReading reading, long now, ReadingKind established) throws Exception {
        if (reading.endMillis < now - rules.latenessHorizon().toMillis()) {
            // The parser checked the reading against its own record timestamp; this meter has seen later ones.
            throw new Rejected(RejectionReason.TOO_LATE, "the reading lies more than the lateness horizon before the meter's latest record");
        }
        if (established != null && established != reading.kind) {
            throw new Rejected(RejectionReason.KIND_CONFLICT, "channel " + reading.channel + " of this meter reports "
                    + established.name().toLowerCase(java.util.Locale.ROOT) + " readings");
        }
        AcceptedReading previous = accepted.get(reading.readingId);
        if (previous == null) {
            return false;
        }
        if (previous.sameAs(reading)) {
            return true;
        }
        throw new Rejected(RejectionReason.CONFLICTING_DUPLICATE, "readingId " + reading.readingId + " was already accepted with another measurement");
    }

    /**
     * The bucket changes of an interval reading: (energy, readings) per bucket; null when the same interval was
     * already accepted with the same energy under another id; throws for a conflict or an overlap.
     */
    private Map<BucketKey, long[]> interval(MeterReading reading) throws Exception {
        List<ProRataSplit.Part> parts = ProRataSplit.split(reading.startMillis, reading.endMillis, reading.energyMilliWattHours);
        for (ProRataSplit.Part part : parts) {
            BucketKey key = new BucketKey(reading.channel, part.bucketStartMillis());
            BucketTotal total = buckets.get(key);
            bucketsRead.put(key, total);
            if (total == null) {
                continue;
            }
            for (int i = 0; i < total.intervalStarts.length; i++) {
                long start = total.intervalStarts[i];
                long end = total.intervalEnds[i];
                if (start == reading.startMillis && end == reading.endMillis) {
                    if (total.intervalEnergies[i] == reading.energyMilliWattHours) {
                        return null;
                    }
                    throw new Rejected(RejectionReason.CONFLICTING_DUPLICATE, "the interval was already accepted with another energy");
                }
                if (start < reading.endMillis && reading.startMillis < end) {
                    throw new Rejected(RejectionReason.OVERLAP, "the interval overlaps an accepted one ["
                            + java.time.Instant.ofEpochMilli(start) + ", " + java.time.Instant.ofEpochMilli(end) + ")");
                }
            }
        }
        Map<BucketKey, long[]> changes = new LinkedHashMap<>();
        for (ProRataSplit.Part part : parts) {
            changes.put(new BucketKey(reading.channel, part.bucketStartMillis()), new long[] {part.energyMilliWattHours(), 1});
        }
        return changes;
    }

    /**
     * The bucket changes of a register value: the span between its neighbours (if both exist) is taken back and the
     * spans from the earlier neighbour to it and from it to the later neighbour are added. Null for a resend.
     */
    private Map<BucketKey, long[]> register(MeterReading reading) throws Exception {
        RegisterKey key = new RegisterKey(reading.channel, reading.startMillis);
        Long existing = registerValues.get(key);
        if (existing != null) {
            if (existing == reading.energyMilliWattHours) {
                return null;
            }
            throw new Rejected(RejectionReason.CONFLICTING_DUPLICATE, "a register value was already accepted for this instant");
        }
        RegisterKey before = null;
        RegisterKey after = null;
        for (RegisterKey known : registerValues.keys()) {
            if (!known.channel.equals(reading.channel)) {
                continue;
            }
            if (known.timestampMillis < reading.startMillis && (before == null || known.timestampMillis > before.timestampMillis)) {
                before = known;
            } else if (known.timestampMillis > reading.startMillis && (after == null || known.timestampMillis < after.timestampMillis)) {
                after = known;
            }
        }
        registerValues.put(key, reading.energyMilliWattHours);
        Map<BucketKey, long[]> changes = new LinkedHashMap<>();
        long capacity = rules.registerCapacity(reading.meterId);
        if (before != null && after != null) {
            addSpan(changes, reading.channel, before.timestampMillis, registerValues.get(before), after.timestampMillis,
                    registerValues.get(after), capacity, -1);
        }
        if (before != null) {
            addSpan(changes, reading.channel, before.timestampMillis, registerValues.get(before), reading.startMillis,
                    reading.energyMilliWattHours, capacity, +1);
        }
        if (after != null) {
            addSpan(changes, reading.channel, reading.startMillis, reading.energyMilliWattHours, after.timestampMillis,
                    registerValues.get(after), capacity, +1);
        }
        return changes;
    }

    private void addSpan(Map<BucketKey, long[]> changes, String channel, long from, long fromValue, long to, long toValue,
                         long capacity, int sign) {
        RegisterSpan span = RegisterSpan.between(fromValue, toValue, capacity, rules.maxEnergy(to - from));
        if (sign > 0 && span.kind() == RegisterSpan.Kind.RESET) {
            registerResets.inc();
        } else if (sign > 0 && span.kind() == RegisterSpan.Kind.ROLLOVER) {
            registerRollovers.inc();
        }
        for (ProRataSplit.Part part : ProRataSplit.split(from, to, span.energyMilliWattHours())) {
            long[] change = changes.computeIfAbsent(new BucketKey(channel, part.bucketStartMillis()), k -> new long[2]);
            change[0] += sign * part.energyMilliWattHours();
            change[1] += sign;
        }
    }

    /** At most one state read (none when the overlap check read it) and one write per changed bucket; emits the new totals. */
    private void apply(MeterReading reading, Map<BucketKey, long[]> changes, Collector<UsageBucket> out) throws Exception {
        for (Map.Entry<BucketKey, long[]> change : changes.entrySet()) {
            BucketKey key = change.getKey();
            BucketTotal total = bucketsRead.containsKey(key) ? bucketsRead.get(key) : buckets.get(key);
            boolean created = total == null;
            if (created) {
                total = new BucketTotal(0, 0);
            }
            total.energyMilliWattHours += change.getValue()[0];
            total.readingCount += (int) change.getValue()[1];
            if (reading.kind == ReadingKind.INTERVAL) {
                total.addInterval(reading.startMillis, reading.endMillis, reading.energyMilliWattHours);
            }
            buckets.put(key, total);
            UsageBucket bucket = new UsageBucket(reading.meterId, key.channel, key.bucketStartMillis, total.energyMilliWattHours,
                    total.readingCount);
            bucket.deltaMilliWattHours = change.getValue()[0];
            bucket.newMeterBucket = created ? 1 : 0;
            out.collect(bucket);
        }
    }

    private long advanceClock(MeterHint hint, long recordTimestamp) throws Exception {
        if (recordTimestamp > hint.clock) {
            clock.update(recordTimestamp);
            hint.clock = recordTimestamp;
        }
        return hint.clock;
    }

    private void sweepOncePerDay(MeterHint hint, long now) throws Exception {
        long day = Math.floorDiv(now, DAY_MILLIS);
        if (hint.sweptDay >= day) {
            return;
        }
        lastSweepDay.update(day);
        hint.sweptDay = day;
        long cutoff = now - rules.latenessHorizon().toMillis();
        removeIf(accepted, entry -> entry.getValue().endMillis < cutoff);

        // Per register channel: keep every value from the cutoff on, and the newest one before it.
        Map<String, Long> newestBeforeCutoff = new LinkedHashMap<>();
        for (RegisterKey key : registerValues.keys()) {
            if (key.timestampMillis < cutoff) {
                newestBeforeCutoff.merge(key.channel, key.timestampMillis, Math::max);
            }
        }
        removeIf(registerValues, entry -> entry.getKey().timestampMillis < newestBeforeCutoff.getOrDefault(entry.getKey().channel, Long.MIN_VALUE));
        Map<String, Long> oldestKept = new LinkedHashMap<>();
        for (RegisterKey key : registerValues.keys()) {
            oldestKept.merge(key.channel, key.timestampMillis, Math::min);
        }

        long intervalBucketsBefore = cutoff - rules.maxInterval().toMillis();
        removeIf(buckets, entry -> {
            long bucketEnd = entry.getKey().bucketStartMillis + ProRataSplit.BUCKET_MILLIS;
            Long registerStart = oldestKept.get(entry.getKey().channel);
            return registerStart != null ? bucketEnd <= registerStart : bucketEnd < intervalBucketsBefore;
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

    /** A reading the rules refuse; caught in {@link #processElement} and sent to the dead-letter topic. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final RejectionReason reason;

        Rejected(RejectionReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }
}
