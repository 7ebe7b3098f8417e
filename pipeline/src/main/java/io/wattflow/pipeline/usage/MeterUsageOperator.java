package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.fleet.FleetChange;
import io.wattflow.pipeline.fleet.FleetChanges;
import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ParseAndValidate;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.reading.RejectionReason;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.FlinkRuntimeException;
import org.apache.flink.util.OutputTag;

/**
 * Per meter (keyed by meter id, so one shuffle serves deduplication and aggregation, and a meter's state sits
 * together): has {@link MeterAccounting} judge each reading against the meter's state, applies what it accepts, and
 * emits the new absolute total of every bucket the reading changed. Refused readings go to the dead-letter output.
 *
 * <p>The clock is the largest Kafka record timestamp seen for the meter, never the wall clock, so a replay of the
 * same log gives the same state and output. A reading is too late when it ends more than the horizon before the
 * meter's clock, or before the watermark (the stream's time: every partition's newest record less the horizon, see
 * {@link io.wattflow.pipeline.reading.RecordTimeWatermarks}). The second rule lets a silent meter's state go: one
 * event-time timer per meter fires once the watermark has passed everything its state holds ({@link MeterSweep}).
 * Only a reading lying right at the watermark can be judged differently by two runs over the same log.
 *
 * <p>State writes wait in a {@link MeterStateCache} until the checkpoint barrier, so every snapshot holds all changes
 * made before its barrier. The watermark is kept in checkpoints too: a restored job starts without one, yet its state
 * may lack meters forgotten up to the old watermark, and a resend of a forgotten reading must stay too late.
 */
public final class MeterUsageOperator extends AbstractStreamOperator<UsageBucket>
        implements OneInputStreamOperator<MeterReading, UsageBucket>, Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    /** One entry per subtask; a union, so a rescaled job takes the highest (each subtask saw the same watermarks). */
    /** What each reading changed in the fleet-wide series: summed by {@link FleetChanges}. */
    public static final OutputTag<FleetChange> FLEET_CHANGES = new OutputTag<>("fleet-changes", TypeInformation.of(FleetChange.class));
    private static final ListStateDescriptor<Long> WATERMARK = new ListStateDescriptor<>("meter-usage-watermark", Types.LONG);

    private final MeterAccounting accounting;
    private final int maxBufferedEntries;
    private final boolean resync;

    private transient MeterState state;
    private transient MeterStateCache cache;
    private transient MeterSweep sweep;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient ListState<Long> watermarkState;
    /** The watermark the job had reached before it was restored (timers fired up to it): a floor of the current one. */
    private transient long restoredWatermark;
    private transient long watermark;

    private transient Counter acceptedCount;
    /** Energy accepted into buckets, per channel: for dashboards (kWh per hour), never for billing. */
    private transient Map<String, Counter> energyAccepted;
    private transient Counter duplicates;
    private transient Counter registerResets;
    private transient Counter registerRollovers;
    private transient Counter registerGaps;
    private transient Counter registerGlitches;
    private transient Counter unprocessable;
    private transient Counter metersForgotten;
    private transient Counter bucketsResynced;

    /**
     * @param maxBufferedEntries accepted readings and bucket totals held in memory per subtask before they are written
     *                           to state ahead of the next checkpoint (about 200 bytes each)
     */
    public MeterUsageOperator(UsageRules rules, int maxBufferedEntries) {
        this(rules, maxBufferedEntries, false);
    }

    /**
     * @param resync when the operator starts (or restores), emit the total of every bucket in its state once more: the
     *               sinks' upserts are absolute, so a database restored to an older moment converges to the state
     */
    public MeterUsageOperator(UsageRules rules, int maxBufferedEntries, boolean resync) {
        if (maxBufferedEntries < 1) {
            throw new IllegalArgumentException("maxBufferedEntries must be at least 1, got " + maxBufferedEntries);
        }
        this.accounting = new MeterAccounting(rules);
        this.maxBufferedEntries = maxBufferedEntries;
        this.resync = resync;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        watermarkState = context.getOperatorStateStore().getUnionListState(WATERMARK);
        restoredWatermark = Long.MIN_VALUE;
        for (Long saved : watermarkState.get()) {
            restoredWatermark = Math.max(restoredWatermark, saved);
        }
        watermark = restoredWatermark;
    }

    @Override
    public void open() throws Exception {
        super.open();
        state = new MeterState(getKeyedStateStore());
        cache = new MeterStateCache(state, new MeterStateCache.KeySwitch() {
            @Override
            public void switchTo(String meterId) {
                setCurrentKey(meterId);
            }

            @Override
            public String current() {
                return (String) getCurrentKey();
            }
        }, maxBufferedEntries);
        sweep = new MeterSweep(accounting.rules(), state);
        timers = getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this);
        var metrics = getMetricGroup();
        acceptedCount = metrics.counter("readings_accepted_total");
        energyAccepted = new HashMap<>();
        duplicates = metrics.counter("readings_duplicate_total");
        registerResets = metrics.counter("register_resets_total");
        registerRollovers = metrics.counter("register_rollovers_total");
        registerGaps = metrics.counter("register_gaps_not_billed_total");
        registerGlitches = metrics.counter("register_glitches_undone_total");
        unprocessable = metrics.counter("readings_unprocessable_total");
        metersForgotten = metrics.counter("meters_forgotten_total");
        bucketsResynced = metrics.counter("buckets_resynced_total");
        if (resync) {
            // from the mailbox, once the task runs: output emitted while operators are still opening may meet closed gates
            var time = getProcessingTimeService();
            time.registerTimer(time.getCurrentProcessingTime(), ignored -> emitEveryBucket());
        }
    }

    /** The total of every bucket in this subtask's state, once, as if each had just changed. */
    private void emitEveryBucket() throws Exception {
        cache.writeBuffered();
        Object current = getCurrentKey();
        getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, MeterState.BUCKET_TOTALS,
                (meterId, buckets) -> {
                    for (Map.Entry<BucketKey, BucketTotal> bucket : buckets.entries()) {
                        output.collect(new StreamRecord<>(new UsageBucket((String) meterId, bucket.getKey().channel,
                                bucket.getKey().bucketStartMillis, bucket.getValue().energyMilliWattHours, bucket.getValue().readingCount)));
                        bucketsResynced.inc();
                    }
                });
        if (current != null) {
            setCurrentKey(current);
        }
    }

    @Override
    public void processElement(StreamRecord<MeterReading> element) throws Exception {
        MeterReading reading = element.getValue();
        MeterStateCache.Meter meter = cache.meter(reading.meterId);
        long clock = meter.advanceClock(reading.recordTimestamp);
        try {
            // The verdict is reached before the first change to the cache or state, so a reading that is refused, or
            // that our code fails on, leaves the meter exactly as it was.
            Verdict verdict = accounting.judge(reading, clock, Math.max(timers.currentWatermark(), restoredWatermark), meter);
            if (verdict instanceof Verdict.Accepted accepted) {
                apply(reading, accepted, meter);
            } else if (verdict instanceof Verdict.Refused refused) {
                reject(reading, refused.reason(), refused.detail());
            } else {
                duplicates.inc();
            }
        } catch (RuntimeException failure) {
            if (failure instanceof FlinkRuntimeException) {
                throw failure; // the state backend failed, not the reading: Flink's recovery is the answer
            }
            // A bug of ours costs this one reading, visibly, never the job (a restart would meet the same record again).
            unprocessable.inc();
            reject(reading, RejectionReason.UNPROCESSABLE, Rejection.describe(failure));
        }
        sweepOncePerDay(meter, clock);
        cache.writeBufferedIfFull();
    }

    private void apply(MeterReading reading, Verdict.Accepted accepted, MeterStateCache.Meter meter) throws Exception {
        meter.accept(reading, accepted);
        acceptedCount.inc();
        registerResets.inc(accepted.resets());
        registerRollovers.inc(accepted.rollovers());
        registerGaps.inc(accepted.gapsNotBilled());
        registerGlitches.inc(accepted.glitches().size());
        for (BucketChange change : accepted.changes()) {
            // channels are import or export: the parser accepts no other, so this map has at most two entries
            energyAccepted.computeIfAbsent(change.key().channel,
                    channel -> getMetricGroup().addGroup("channel", channel).counter("energy_accepted_milliwatt_hours_total"))
                    .inc(change.energyMilliWattHours());
            boolean created = meter.bucket(change.key()) == null;
            BucketTotal total = meter.add(change, reading);
            output.collect(new StreamRecord<>(new UsageBucket(reading.meterId, change.key().channel, change.key().bucketStartMillis,
                    total.energyMilliWattHours, total.readingCount)));
            output.collect(FLEET_CHANGES, new StreamRecord<>(new FleetChange(change.key().channel, change.key().bucketStartMillis,
                    change.energyMilliWattHours(), created ? 1 : 0)));
        }
    }

    private void reject(MeterReading reading, RejectionReason reason, String detail) {
        output.collect(ParseAndValidate.REJECTED, new StreamRecord<>(new Rejection(reading.source, reason, detail)));
    }

    /**
     * Once per day of the meter's clock: sweeps what lies beyond the horizon, and moves the meter's expiry timer to
     * the end of that day. Sweeps state itself, so the meter's waiting writes go there first.
     */
    private void sweepOncePerDay(MeterStateCache.Meter meter, long clock) throws Exception {
        long day = Math.floorDiv(clock, MeterSweep.DAY_MILLIS);
        if (meter.sweptDay >= day) {
            return;
        }
        meter.writeOut();
        if (meter.sweptDay != Long.MIN_VALUE) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, sweep.expiryTimer(meter.sweptDay));
        }
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, sweep.expiryTimer(day));
        state.lastSweepDay.update(day);
        meter.sweptDay = day;
        sweep.sweepByClock(clock);
        meter.rebuildFilter(); // without the swept ids, so the filter does not fill with ids state no longer has
    }

    /** The watermark has passed a meter's expiry timer: no reading ending before it will be accepted. */
    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        String meterId = timer.getKey();
        MeterStateCache.Meter meter = cache.meter(meterId);
        if (meter.clock == Long.MIN_VALUE) {
            cache.forget(meterId); // forgotten already, by an earlier timer
            return;
        }
        meter.writeOut();
        MeterSweep.AfterTimer after = sweep.onTimer(timer.getTimestamp(), meter.clock);
        if (after.forgotten()) {
            cache.forget(meterId);
            metersForgotten.inc();
        } else if (after.nextTimer() != Long.MIN_VALUE) {
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, after.nextTimer());
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // no processing-time timers: every rule runs on record time
    }

    /**
     * The end of input (a bounded source, {@code stop --drain}) is not the end of time: it passes on, but fires no
     * timer and is not saved, so a savepoint taken then still holds every meter and the resumed job accepts readings.
     */
    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (mark.getTimestamp() == Long.MAX_VALUE) {
            output.emitWatermark(mark);
            return;
        }
        watermark = Math.max(watermark, mark.getTimestamp());
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        cache.writeBuffered();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        watermarkState.update(List.of(watermark));
    }

    @Override
    public void finish() throws Exception {
        cache.writeBuffered();
        super.finish();
    }
}
