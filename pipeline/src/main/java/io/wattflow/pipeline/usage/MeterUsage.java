package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.ReadingKind;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.reading.RejectionReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
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
import org.apache.flink.util.FlinkRuntimeException;

/**
 * Per meter: recognises resends, conflicts and overlaps, turns interval readings and register spans into energy per
 * 15-minute bucket, and emits the new absolute total of every bucket a reading changed. Keyed by meter id, so one
 * shuffle serves deduplication and aggregation, and a meter's state sits together.
 *
 * <p>The clock is the largest Kafka record timestamp seen for the meter, never the wall clock or a watermark, so a
 * replay of the same log gives the same state and output.
 *
 * <p>Run by {@link MeterUsageOperator}, state writes wait in memory until the checkpoint barrier (or until
 * {@code maxBufferedEntries} are waiting): a bucket that three readings change within a checkpoint is read and written
 * once, the meter's clock is written once, and the accepted reading ids go to RocksDB in one batch per meter. Nothing
 * waits across a checkpoint, so the snapshot holds exactly what writing each change at once would have left. Run by a
 * plain {@code KeyedProcessOperator}, every element's writes go to state before the next element.
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
    private final int maxBufferedEntries;

    private transient MapState<String, AcceptedReading> accepted;
    private transient MapState<BucketKey, BucketTotal> buckets;
    private transient MapState<String, ReadingKind> channelKinds;
    private transient MapState<RegisterKey, Long> registerValues;
    private transient ValueState<Long> clock;
    private transient ValueState<Long> lastSweepDay;

    /** meter id -> {@link MeterCache}; at most {@link #MAX_CACHED_METERS} meters per subtask (about 200 bytes each). */
    private transient Map<String, MeterCache> caches;
    static final int MAX_CACHED_METERS = 200_000;
    /** Meters whose cache holds writes not yet in state, or bucket totals read since their last write-out. */
    private transient Set<String> metersBuffering;
    /** Accepted readings and bucket totals held by the caches of {@link #metersBuffering}. */
    private transient int bufferedEntries;
    /** Switches the keyed state to another meter; null when no operator lent one (then nothing waits). */
    private transient Consumer<String> keySwitch;
    private transient Supplier<String> currentKey;

    private transient Counter acceptedCount;
    private transient Counter duplicates;
    private transient Counter registerResets;
    private transient Counter registerRollovers;
    private transient Counter registerGaps;
    private transient Counter unprocessable;

    /**
     * @param maxBufferedEntries accepted readings and bucket totals held in memory per subtask before they are written
     *                           to state ahead of the next checkpoint (about 200 bytes each)
     */
    public MeterUsage(UsageRules rules, int maxBufferedEntries) {
        if (maxBufferedEntries < 1) {
            throw new IllegalArgumentException("maxBufferedEntries must be at least 1, got " + maxBufferedEntries);
        }
        this.rules = rules;
        this.maxBufferedEntries = maxBufferedEntries;
    }

    /** Lets writes wait until {@link #writeBuffered()}: the operator switches the keyed state between meters. */
    void useKeySwitch(Consumer<String> keySwitch, Supplier<String> currentKey) {
        this.keySwitch = keySwitch;
        this.currentKey = currentKey;
    }

    @Override
    public void open(OpenContext openContext) {
        accepted = getRuntimeContext().getMapState(ACCEPTED_READINGS);
        buckets = getRuntimeContext().getMapState(BUCKET_TOTALS);
        channelKinds = getRuntimeContext().getMapState(CHANNEL_KINDS);
        registerValues = getRuntimeContext().getMapState(REGISTER_VALUES);
        clock = getRuntimeContext().getState(CLOCK);
        lastSweepDay = getRuntimeContext().getState(LAST_SWEEP_DAY);
        caches = new HashMap<>();
        metersBuffering = new LinkedHashSet<>();
        bufferedEntries = 0;
        var metrics = getRuntimeContext().getMetricGroup();
        acceptedCount = metrics.counter("readingsAccepted");
        duplicates = metrics.counter("readingsDuplicate");
        registerResets = metrics.counter("registerResets");
        registerRollovers = metrics.counter("registerRollovers");
        registerGaps = metrics.counter("registerGapsNotBilled");
        unprocessable = metrics.counter("readingsUnprocessable");
    }

    @Override
    public void processElement(MeterReading reading, Context context, Collector<UsageBucket> out) throws Exception {
        MeterCache cache = cache(reading.meterId);
        long now = advanceClock(cache, reading.recordTimestamp);
        try {
            ReadingKind established = cache.kinds.get(reading.channel);
            if (established == null) {
                established = channelKinds.get(reading.channel);
                if (established != null) {
                    cache.kinds.put(reading.channel, established);
                }
            }
            // Every check and every sum happens before the first change to the cache or state, so a reading that is
            // refused, or that our code fails on, leaves the meter exactly as it was.
            Map<BucketKey, long[]> changes = isResend(cache, reading, now, established) ? null
                    : reading.kind == ReadingKind.INTERVAL ? interval(cache, reading) : register(cache, reading);
            if (changes == null) {
                duplicates.inc();
            } else {
                List<BucketTotal> totals = newTotals(cache, changes);
                if (reading.kind == ReadingKind.REGISTER) {
                    registerValues.put(new RegisterKey(reading.channel, reading.startMillis), reading.energyMilliWattHours);
                }
                cache.accept(reading);
                bufferedEntries++;
                if (established == null) {
                    channelKinds.put(reading.channel, reading.kind);
                    cache.kinds.put(reading.channel, reading.kind);
                }
                acceptedCount.inc();
                apply(cache, reading, changes, totals, out);
            }
        } catch (Rejected rejected) {
            context.output(ParseAndValidate.REJECTED, new Rejection(reading.source, rejected.reason, rejected.getMessage()));
        } catch (RuntimeException failure) {
            if (failure instanceof FlinkRuntimeException) {
                throw failure; // the state backend failed, not the reading: Flink's recovery is the answer
            }
            // A bug of ours costs this one reading, visibly, never the job (a restart would meet the same record again).
            unprocessable.inc();
            context.output(ParseAndValidate.REJECTED, new Rejection(reading.source, RejectionReason.UNPROCESSABLE,
                    Rejection.describe(failure)));
        }
        sweepOncePerDay(cache, now);
        if (keySwitch == null) {
            writeOut(cache);
            metersBuffering.clear();
        } else if (bufferedEntries >= maxBufferedEntries) {
            writeBuffered();
        }
    }

    /**
     * What this instance knows of a meter: the clock, sweep day and channel kinds it last read or wrote (the same as in
     * state, since this operator is their only writer, so reading them again costs a RocksDB lookup for nothing), and
     * the writes waiting for {@link #writeBuffered()} with the bucket totals read since the last one. A restored or
     * rescaled job starts with empty caches and reads state.
     */
    static final class MeterCache {
        long clock = Long.MIN_VALUE;
        boolean clockChanged;
        long sweptDay = Long.MIN_VALUE;
        final Map<String, ReadingKind> kinds = new HashMap<>(4);
        /** Readings accepted since the last write-out, by reading id. */
        Map<String, AcceptedReading> accepted;
        /** Bucket totals read or changed since the last write-out; null values are buckets known to be absent. */
        Map<BucketKey, BucketTotal> buckets;
        Set<BucketKey> changedBuckets;

        void accept(MeterReading reading) {
            if (accepted == null) {
                accepted = new HashMap<>();
            }
            accepted.put(reading.readingId, new AcceptedReading(reading));
        }

        boolean buffering() {
            return clockChanged || accepted != null || buckets != null;
        }

        int entries() {
            return (accepted == null ? 0 : accepted.size()) + (buckets == null ? 0 : buckets.size());
        }
    }

    private MeterCache cache(String meterId) throws Exception {
        MeterCache cache = caches.get(meterId);
        if (cache == null) {
            if (caches.size() >= MAX_CACHED_METERS) {
                writeBuffered();
                caches.clear();
            }
            cache = new MeterCache();
            Long storedClock = clock.value();
            Long storedSweep = lastSweepDay.value();
            cache.clock = storedClock == null ? Long.MIN_VALUE : storedClock;
            cache.sweptDay = storedSweep == null ? Long.MIN_VALUE : storedSweep;
            caches.put(meterId, cache);
        }
        metersBuffering.add(meterId);
        return cache;
    }

    /** The bucket's total as it stands, from the cache or else from state (then cached until the next write-out). */
    private BucketTotal bucket(MeterCache cache, BucketKey key) throws Exception {
        if (cache.buckets == null) {
            cache.buckets = new HashMap<>();
            cache.changedBuckets = new HashSet<>();
        } else if (cache.buckets.containsKey(key)) {
            return cache.buckets.get(key);
        }
        BucketTotal total = buckets.get(key);
        cache.buckets.put(key, total);
        bufferedEntries++;
        return total;
    }

    /**
     * Writes what every buffering meter's cache holds to state, switching the keyed state from meter to meter. Called
     * by the operator before each checkpoint barrier and at the end of input, and here when the buffer is full.
     */
    void writeBuffered() throws Exception {
        if (metersBuffering.isEmpty()) {
            return;
        }
        String current = currentKey.get();
        for (String meterId : metersBuffering) {
            MeterCache cache = caches.get(meterId);
            if (cache.buffering()) {
                keySwitch.accept(meterId);
                writeOut(cache);
            }
        }
        metersBuffering.clear();
        bufferedEntries = 0;
        if (current != null) {
            keySwitch.accept(current);
        }
    }

    /** Writes one meter's waiting changes to state; the keyed state must be at that meter. */
    private void writeOut(MeterCache cache) throws Exception {
        if (cache.clockChanged) {
            clock.update(cache.clock);
            cache.clockChanged = false;
        }
        if (cache.accepted != null) {
            accepted.putAll(cache.accepted);
        }
        if (cache.changedBuckets != null && !cache.changedBuckets.isEmpty()) {
            Map<BucketKey, BucketTotal> changed = new HashMap<>();
            for (BucketKey key : cache.changedBuckets) {
                changed.put(key, cache.buckets.get(key));
            }
            buckets.putAll(changed);
        }
        bufferedEntries -= cache.entries();
        cache.accepted = null;
        cache.buckets = null;
        cache.changedBuckets = null;
    }

    /** True for a resend under the same readingId; throws for a reading the meter's state refuses. */
    private boolean isResend(MeterCache cache, MeterReading reading, long now, ReadingKind established) throws Exception {
        if (reading.endMillis < now - rules.latenessHorizon().toMillis()) {
            // The parser checked the reading against its own record timestamp; this meter has seen later ones.
            throw new Rejected(RejectionReason.TOO_LATE, "the reading lies more than the lateness horizon before the meter's latest record");
        }
        if (established != null && established != reading.kind) {
            throw new Rejected(RejectionReason.KIND_CONFLICT, "channel " + reading.channel + " of this meter reports "
                    + established.name().toLowerCase(java.util.Locale.ROOT) + " readings");
        }
        AcceptedReading previous = cache.accepted == null ? null : cache.accepted.get(reading.readingId);
        if (previous == null) {
            previous = accepted.get(reading.readingId);
        }
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
    private Map<BucketKey, long[]> interval(MeterCache cache, MeterReading reading) throws Exception {
        long length = reading.endMillis - reading.startMillis;
        if (reading.energyMilliWattHours > rules.maxEnergy(reading.meterId, length)) {
            // the parser bounded it by --max-average-kw; the meter's class may draw less
            throw new Rejected(RejectionReason.IMPLAUSIBLE_ENERGY, "energy means more than the meter's " + rules.maxPower(reading.meterId)
                    + " kW on average over the interval");
        }
        List<ProRataSplit.Part> parts = ProRataSplit.split(reading.startMillis, reading.endMillis, reading.energyMilliWattHours);
        for (ProRataSplit.Part part : parts) {
            BucketTotal total = bucket(cache, new BucketKey(reading.channel, part.bucketStartMillis()));
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
     * spans from the earlier neighbour to it and from it to the later neighbour are added. Null for a resend. Throws
     * for a value beyond the register's size or one the meter cannot have measured: an advance faster than the meter's
     * maximum power, or a value outside the range of two neighbours the meter advanced between. Such a value never
     * becomes a neighbour itself, so one glitch between two plausible values bills neither the way there nor back.
     */
    private Map<BucketKey, long[]> register(MeterCache cache, MeterReading reading) throws Exception {
        long value = reading.energyMilliWattHours;
        long capacity = rules.registerCapacity(reading.meterId);
        if (capacity > 0 && value >= capacity) {
            throw new Rejected(RejectionReason.REGISTER_OUT_OF_RANGE, "the register of this meter class counts below "
                    + capacity + " mWh, got " + value);
        }
        RegisterKey key = new RegisterKey(reading.channel, reading.startMillis);
        Long existing = registerValues.get(key);
        if (existing != null) {
            if (existing == value) {
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
        Long beforeValue = before == null ? null : registerValues.get(before);
        Long afterValue = after == null ? null : registerValues.get(after);
        if (beforeValue != null && afterValue != null && beforeValue <= afterValue && (value < beforeValue || value > afterValue)) {
            throw new Rejected(RejectionReason.IMPLAUSIBLE_REGISTER, "the register advanced from " + beforeValue + " to "
                    + afterValue + " mWh around this instant; " + value + " lies outside");
        }
        if (beforeValue != null) {
            checkAdvance(reading.meterId, before.timestampMillis, beforeValue, reading.startMillis, value);
        }
        if (afterValue != null) {
            checkAdvance(reading.meterId, reading.startMillis, value, after.timestampMillis, afterValue);
        }
        Map<BucketKey, long[]> changes = new LinkedHashMap<>();
        if (beforeValue != null && afterValue != null) {
            addSpan(changes, reading.meterId, reading.channel, before.timestampMillis, beforeValue, after.timestampMillis,
                    afterValue, capacity, -1);
        }
        if (beforeValue != null) {
            addSpan(changes, reading.meterId, reading.channel, before.timestampMillis, beforeValue, reading.startMillis,
                    value, capacity, +1);
        }
        if (afterValue != null) {
            addSpan(changes, reading.meterId, reading.channel, reading.startMillis, value, after.timestampMillis,
                    afterValue, capacity, +1);
        }
        return changes;
    }

    /** Refuses an advance faster than the meter's maximum power; drops (resets, rollovers) are judged by {@link RegisterSpan}. */
    private void checkAdvance(String meterId, long from, long fromValue, long to, long toValue) throws Rejected {
        if (toValue > fromValue && to - from <= rules.maxRegisterSpan().toMillis()
                && toValue - fromValue > rules.maxEnergy(meterId, to - from)) {
            throw new Rejected(RejectionReason.IMPLAUSIBLE_REGISTER, "an advance of " + (toValue - fromValue) + " mWh in "
                    + java.time.Duration.ofMillis(to - from) + " means more than the meter's " + rules.maxPower(meterId) + " kW");
        }
    }

    private void addSpan(Map<BucketKey, long[]> changes, String meterId, String channel, long from, long fromValue, long to,
                         long toValue, long capacity, int sign) {
        if (to - from > rules.maxRegisterSpan().toMillis()) {
            // Longer than any bill should spread: not billed, the later value is a new baseline (and no record can make
            // the job split a span into more buckets than this)
            if (sign > 0) {
                registerGaps.inc();
            }
            return;
        }
        RegisterSpan span = RegisterSpan.between(fromValue, toValue, capacity, rules.maxEnergy(meterId, to - from));
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

    /**
     * The totals the changes lead to, in the order of {@code changes}, summed exactly (an overflow throws here, before
     * anything changed); null entries are buckets the meter does not have yet. Reads each total once per write-out at most.
     */
    private List<BucketTotal> newTotals(MeterCache cache, Map<BucketKey, long[]> changes) throws Exception {
        List<BucketTotal> totals = new ArrayList<>(changes.size());
        for (Map.Entry<BucketKey, long[]> change : changes.entrySet()) {
            BucketTotal total = bucket(cache, change.getKey());
            long energy = Math.addExact(total == null ? 0 : total.energyMilliWattHours, change.getValue()[0]);
            long count = Math.addExact(total == null ? 0 : total.readingCount, change.getValue()[1]);
            if (energy < 0 || count < 0 || count > Integer.MAX_VALUE) {
                throw new IllegalStateException("bucket " + change.getKey().bucketStartMillis + " of channel " + change.getKey().channel
                        + " would hold " + energy + " mWh from " + count + " readings");
            }
            totals.add(total);
        }
        return totals;
    }

    /** Changes the cached totals as {@link #newTotals} checked; emits the new totals. */
    private void apply(MeterCache cache, MeterReading reading, Map<BucketKey, long[]> changes, List<BucketTotal> totals,
                       Collector<UsageBucket> out) {
        int index = 0;
        for (Map.Entry<BucketKey, long[]> change : changes.entrySet()) {
            BucketKey key = change.getKey();
            BucketTotal total = totals.get(index++);
            boolean created = total == null;
            if (created) {
                total = new BucketTotal(0, 0);
                cache.buckets.put(key, total);
            }
            total.energyMilliWattHours += change.getValue()[0];
            total.readingCount += (int) change.getValue()[1];
            if (reading.kind == ReadingKind.INTERVAL) {
                total.addInterval(reading.startMillis, reading.endMillis, reading.energyMilliWattHours);
            }
            cache.changedBuckets.add(key);
            UsageBucket bucket = new UsageBucket(reading.meterId, key.channel, key.bucketStartMillis, total.energyMilliWattHours,
                    total.readingCount);
            bucket.deltaMilliWattHours = change.getValue()[0];
            bucket.newMeterBucket = created ? 1 : 0;
            out.collect(bucket);
        }
    }

    private static long advanceClock(MeterCache cache, long recordTimestamp) {
        if (recordTimestamp > cache.clock) {
            cache.clock = recordTimestamp;
            cache.clockChanged = true;
        }
        return cache.clock;
    }

    /** Sweeps state itself, so the meter's waiting writes go there first. */
    private void sweepOncePerDay(MeterCache cache, long now) throws Exception {
        long day = Math.floorDiv(now, DAY_MILLIS);
        if (cache.sweptDay >= day) {
            return;
        }
        writeOut(cache);
        lastSweepDay.update(day);
        cache.sweptDay = day;
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
