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
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.FlinkRuntimeException;

/**
 * Per meter: recognises resends, conflicts and overlaps, turns interval readings and register spans into energy per
 * 15-minute bucket, and emits the new absolute total of every bucket a reading changed. Keyed by meter id, so one
 * shuffle serves deduplication and aggregation, and a meter's state sits together.
 *
 * <p>The clock is the largest Kafka record timestamp seen for the meter, never the wall clock, so a replay of the same
 * log gives the same state and output. A reading is too late when it ends more than the horizon before the meter's
 * clock, or before the watermark (the stream's time: every partition's newest record less the horizon, see
 * {@link io.wattflow.pipeline.reading.RecordTimeWatermarks}). The second rule lets a silent meter's state go: an
 * event-time timer per meter fires once the watermark has passed everything its state holds, and removes it all (a
 * register channel's last value stays until no span from it can be billed, {@code maxRegisterSpan}). Only a reading
 * lying right at the watermark can be judged differently by two runs over the same log.
 *
 * <p>Run by {@link MeterUsageOperator}, state writes wait in memory until the checkpoint barrier (or until
 * {@code maxBufferedEntries} are waiting): a bucket that three readings change within a checkpoint is read and written
 * once, the meter's clock is written once, and the accepted reading ids go to RocksDB in one batch per meter. Nothing
 * waits across a checkpoint, so the snapshot holds exactly what writing each change at once would have left.
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
     * meter's one expiry timer ({@link #expiryTimer}) is moved then.
     */
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
    /** Switches the keyed state to another meter, lent by {@link MeterUsageOperator}. */
    private transient Consumer<String> keySwitch;
    private transient Supplier<String> currentKey;
    /** The watermark the job had reached before it was restored (timers fired up to it): a floor of the current one. */
    private transient long restoredWatermark;

    private transient Counter acceptedCount;
    private transient Counter duplicates;
    private transient Counter registerResets;
    private transient Counter registerRollovers;
    private transient Counter registerGaps;
    private transient Counter registerGlitches;
    private transient Counter unprocessable;
    private transient Counter metersForgotten;

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

    /** The watermark the restored job had reached: readings ending before it stay too late after a restart. */
    void restoredWatermark(long watermark) {
        this.restoredWatermark = watermark;
    }

    /** Lets writes wait until {@link #writeBuffered()}: the operator switches the keyed state between meters. */
    void useKeySwitch(Consumer<String> keySwitch, Supplier<String> currentKey) {
        this.keySwitch = keySwitch;
        this.currentKey = currentKey;
    }

    @Override
    public void open(OpenContext openContext) {
        if (keySwitch == null) {
            throw new IllegalStateException("MeterUsage runs in a MeterUsageOperator, which lends it the key switch");
        }
        accepted = getRuntimeContext().getMapState(ACCEPTED_READINGS);
        buckets = getRuntimeContext().getMapState(BUCKET_TOTALS);
        channelKinds = getRuntimeContext().getMapState(CHANNEL_KINDS);
        registerValues = getRuntimeContext().getMapState(REGISTER_VALUES);
        clock = getRuntimeContext().getState(CLOCK);
        lastSweepDay = getRuntimeContext().getState(LAST_SWEEP_DAY);
        caches = new HashMap<>();
        metersBuffering = new LinkedHashSet<>();
        bufferedEntries = 0;
        restoredWatermark = Long.MIN_VALUE;
        var metrics = getRuntimeContext().getMetricGroup();
        acceptedCount = metrics.counter("readingsAccepted");
        duplicates = metrics.counter("readingsDuplicate");
        registerResets = metrics.counter("registerResets");
        registerRollovers = metrics.counter("registerRollovers");
        registerGaps = metrics.counter("registerGapsNotBilled");
        registerGlitches = metrics.counter("registerGlitchesUndone");
        unprocessable = metrics.counter("readingsUnprocessable");
        metersForgotten = metrics.counter("metersForgotten");
    }

    @Override
    public void processElement(MeterReading reading, Context context, Collector<UsageBucket> out) throws Exception {
        MeterCache cache = cache(reading.meterId);
        long now = advanceClock(cache, reading.recordTimestamp);
        long watermark = Math.max(context.timerService().currentWatermark(), restoredWatermark);
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
            List<RegisterKey> glitches = new ArrayList<>(0);
            Map<BucketKey, long[]> changes = isResend(cache, reading, now, watermark, established) ? null
                    : reading.kind == ReadingKind.INTERVAL ? interval(cache, reading) : register(cache, reading, glitches);
            if (changes == null) {
                duplicates.inc();
            } else {
                List<BucketTotal> totals = newTotals(cache, changes);
                if (reading.kind == ReadingKind.REGISTER) {
                    registerValues.put(new RegisterKey(reading.channel, reading.startMillis), reading.energyMilliWattHours);
                    for (RegisterKey glitch : glitches) {
                        registerValues.remove(glitch);
                        registerGlitches.inc();
                    }
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
        sweepOncePerDay(cache, now, context.timerService());
        if (bufferedEntries >= maxBufferedEntries) {
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
    private boolean isResend(MeterCache cache, MeterReading reading, long now, long watermark, ReadingKind established)
            throws Exception {
        if (reading.endMillis < now - rules.latenessHorizon().toMillis()) {
            // The parser checked the reading against its own record timestamp; this meter has seen later ones.
            throw new Rejected(RejectionReason.TOO_LATE, "the reading lies more than the lateness horizon before the meter's latest record");
        }
        if (reading.endMillis < watermark) {
            // The state it could be a resend of, or overlap, may be forgotten already
            throw new Rejected(RejectionReason.TOO_LATE, "the reading ends before the watermark "
                    + java.time.Instant.ofEpochMilli(watermark) + " (every partition's newest record less the lateness horizon)");
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

    /** A register value of one channel at an instant. */
    private record RegisterPoint(long timestampMillis, long value) {
    }

    /**
     * The bucket changes of a register value. The chain of the channel's values around it changes: it goes in between
     * its neighbours, and the spans of the new chain replace those of the old (a late value between two known ones
     * takes their span back and adds the spans to and from it). Null for a resend. Throws for a value beyond the
     * register's size or one the meter cannot have measured: an advance faster than the meter's maximum power, or a
     * value outside the range of two neighbours the meter advanced between. Such a value never becomes a neighbour
     * itself, so one glitch above two plausible values bills neither the way there nor back.
     *
     * <p>A glitch below them cannot be told from a reset until the value after it: when that value lies at least as
     * high as the one before the drop, the meter could not have climbed to it from the drop, yet could have advanced
     * to it from the value before, the drop was a glitch. The dropped value leaves the chain ({@code glitches}), and
     * with it the reset (or rollover) it had billed; the value after it is accepted, not refused as an implausible
     * advance (which would refuse every later value too, until enough time had passed). A reset the meter could
     * plausibly have climbed back from stays a reset.
     */
    private Map<BucketKey, long[]> register(MeterCache cache, MeterReading reading, List<RegisterKey> glitches) throws Exception {
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
        // the two nearest known instants before it ([0] nearest, [1] the one before that) and the nearest after it
        long[] before = {Long.MIN_VALUE, Long.MIN_VALUE};
        long after = Long.MAX_VALUE;
        for (RegisterKey known : registerValues.keys()) {
            long t = known.timestampMillis;
            if (!known.channel.equals(reading.channel)) {
                continue;
            }
            if (t < reading.startMillis) {
                if (t > before[0]) {
                    before[1] = before[0];
                    before[0] = t;
                } else if (t > before[1]) {
                    before[1] = t;
                }
            } else if (t > reading.startMillis && t < after) {
                after = t;
            }
        }
        RegisterPoint b1 = point(reading.channel, before[0]);
        RegisterPoint b0 = point(reading.channel, before[1]);
        RegisterPoint a1 = point(reading.channel, after);
        RegisterPoint self = new RegisterPoint(reading.startMillis, value);
        if (b1 != null && a1 != null && b1.value <= a1.value && (value < b1.value || value > a1.value)) {
            throw new Rejected(RejectionReason.IMPLAUSIBLE_REGISTER, "the register advanced from " + b1.value + " to "
                    + a1.value + " mWh around this instant; " + value + " lies outside");
        }
        boolean b1Glitch = b0 != null && b1.value < b0.value && value >= b0.value && !plausibleAdvance(reading.meterId, b1, self)
                && self.timestampMillis - b0.timestampMillis <= rules.maxRegisterSpan().toMillis() && plausibleAdvance(reading.meterId, b0, self);

        List<RegisterPoint> oldChain = new ArrayList<>(3);
        List<RegisterPoint> newChain = new ArrayList<>(4);
        for (RegisterPoint known : new RegisterPoint[] {b0, b1, self, a1}) {
            if (known == null) {
                continue;
            }
            if (known != self) {
                oldChain.add(known);
            }
            if (known == b1 && b1Glitch) {
                glitches.add(new RegisterKey(reading.channel, known.timestampMillis));
            } else {
                newChain.add(known);
            }
        }
        int at = newChain.indexOf(self);
        if (at > 0) {
            checkAdvance(reading.meterId, newChain.get(at - 1), self);
        }
        if (at < newChain.size() - 1) {
            checkAdvance(reading.meterId, self, newChain.get(at + 1));
        }
        List<RegisterPoint[]> taken = spans(oldChain);
        List<RegisterPoint[]> added = spans(newChain);
        taken.removeIf(span -> added.removeIf(other -> other[0] == span[0] && other[1] == span[1]));
        Map<BucketKey, long[]> changes = new LinkedHashMap<>();
        for (RegisterPoint[] span : taken) {
            addSpan(changes, reading.meterId, reading.channel, span[0], span[1], capacity, -1);
        }
        for (RegisterPoint[] span : added) {
            addSpan(changes, reading.meterId, reading.channel, span[0], span[1], capacity, +1);
        }
        return changes;
    }

    private RegisterPoint point(String channel, long timestampMillis) throws Exception {
        if (timestampMillis == Long.MIN_VALUE || timestampMillis == Long.MAX_VALUE) {
            return null;
        }
        return new RegisterPoint(timestampMillis, registerValues.get(new RegisterKey(channel, timestampMillis)));
    }

    private static List<RegisterPoint[]> spans(List<RegisterPoint> chain) {
        List<RegisterPoint[]> spans = new ArrayList<>(chain.size());
        for (int i = 1; i < chain.size(); i++) {
            spans.add(new RegisterPoint[] {chain.get(i - 1), chain.get(i)});
        }
        return spans;
    }

    private boolean plausibleAdvance(String meterId, RegisterPoint from, RegisterPoint to) {
        long span = to.timestampMillis - from.timestampMillis;
        return to.value <= from.value || span > rules.maxRegisterSpan().toMillis()
                || to.value - from.value <= rules.maxEnergy(meterId, span);
    }

    /** Refuses an advance faster than the meter's maximum power; drops (resets, rollovers) are judged by {@link RegisterSpan}. */
    private void checkAdvance(String meterId, RegisterPoint from, RegisterPoint to) throws Rejected {
        if (!plausibleAdvance(meterId, from, to)) {
            throw new Rejected(RejectionReason.IMPLAUSIBLE_REGISTER, "an advance of " + (to.value - from.value) + " mWh in "
                    + Duration.ofMillis(to.timestampMillis - from.timestampMillis) + " means more than the meter's "
                    + rules.maxPower(meterId) + " kW");
        }
    }

    private void addSpan(Map<BucketKey, long[]> changes, String meterId, String channel, RegisterPoint start, RegisterPoint end,
                         long capacity, int sign) {
        long from = start.timestampMillis;
        long to = end.timestampMillis;
        if (to - from > rules.maxRegisterSpan().toMillis()) {
            // Longer than any bill should spread: not billed, the later value is a new baseline (and no record can make
            // the job split a span into more buckets than this)
            if (sign > 0) {
                registerGaps.inc();
            }
            return;
        }
        RegisterSpan span = RegisterSpan.between(start.value, end.value, capacity, rules.maxEnergy(meterId, to - from));
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

    /**
     * Once per day of the meter's clock: sweeps what lies beyond the horizon, and moves the meter's expiry timer to
     * the end of that day. Sweeps state itself, so the meter's waiting writes go there first.
     */
    private void sweepOncePerDay(MeterCache cache, long now, TimerService timers) throws Exception {
        long day = Math.floorDiv(now, DAY_MILLIS);
        if (cache.sweptDay >= day) {
            return;
        }
        writeOut(cache);
        if (cache.sweptDay != Long.MIN_VALUE) {
            timers.deleteEventTimeTimer(expiryTimer(cache.sweptDay));
        }
        timers.registerEventTimeTimer(expiryTimer(day));
        lastSweepDay.update(day);
        cache.sweptDay = day;
        sweep(now - rules.latenessHorizon().toMillis());
    }

    /**
     * When the watermark has passed everything a meter whose clock lies in this day can hold: every reading it
     * accepted ends before the day's end plus {@code maxFutureSkew}, so once every later reading ends after that
     * plus the longest interval (rounded up to a bucket's end), none can repeat, overlap or share a bucket with them.
     */
    private long expiryTimer(long clockDay) {
        long latestEnd = Math.addExact((clockDay + 1) * DAY_MILLIS, rules.maxFutureSkew().toMillis());
        long bucketEnd = Math.floorDiv(latestEnd + ProRataSplit.BUCKET_MILLIS - 1, ProRataSplit.BUCKET_MILLIS) * ProRataSplit.BUCKET_MILLIS;
        return Math.addExact(bucketEnd, rules.maxInterval().toMillis());
    }

    /**
     * The watermark has reached {@code timestamp}: no reading ending before it will be accepted. Sweeps up to it; a
     * meter left with nothing but its register channels' last values keeps them until no span from them can be
     * billed, then is forgotten entirely (a reading after that starts it afresh, as a new meter).
     */
    @Override
    public void onTimer(long timestamp, OnTimerContext context, Collector<UsageBucket> out) throws Exception {
        String meterId = context.getCurrentKey();
        MeterCache cache = cache(meterId);
        if (cache.clock == Long.MIN_VALUE) {
            caches.remove(meterId); // forgotten already, by an earlier timer
            metersBuffering.remove(meterId);
            return;
        }
        writeOut(cache);
        sweep(Math.max(timestamp, cache.clock - rules.latenessHorizon().toMillis()));
        if (!accepted.isEmpty()) {
            return; // the meter is active again: its own expiry timer is pending
        }
        long newestRegisterValue = Long.MIN_VALUE;
        for (RegisterKey key : registerValues.keys()) {
            newestRegisterValue = Math.max(newestRegisterValue, key.timestampMillis);
        }
        if (newestRegisterValue != Long.MIN_VALUE) {
            long noSpanBilled = Math.addExact(Math.addExact(newestRegisterValue, rules.maxRegisterSpan().toMillis()), 1);
            if (timestamp < noSpanBilled) {
                context.timerService().registerEventTimeTimer(noSpanBilled);
                return;
            }
        }
        accepted.clear();
        buckets.clear();
        channelKinds.clear();
        registerValues.clear();
        clock.clear();
        lastSweepDay.clear();
        caches.remove(meterId);
        metersBuffering.remove(meterId);
        metersForgotten.inc();
    }

    /** Removes what no reading ending at or after {@code cutoff} can repeat, overlap or re-split. */
    private void sweep(long cutoff) throws Exception {
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

        // an interval reading ending at or after the cutoff starts at or after this
        long intervalBucketsBefore = cutoff - rules.maxInterval().toMillis();
        removeIf(buckets, entry -> {
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
