package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * Runs {@link MeterUsage} with its state writes buffered between checkpoints: it lends the function a way to switch
 * the keyed state between meters, and has it write everything out before each checkpoint barrier and at the end of
 * input, so every snapshot holds all changes made before its barrier.
 *
 * <p>It also keeps the watermark in its checkpoints. A restored job starts without one, yet its state may lack meters
 * that timers forgot up to the old watermark: a reading ending before that must stay too late, or a resend of a
 * forgotten reading would be billed twice.
 */
public final class MeterUsageOperator extends KeyedProcessOperator<String, MeterReading, UsageBucket> {
    private static final long serialVersionUID = 1L;
    /** One entry per subtask; a union, so a rescaled job takes the highest (each subtask saw the same watermarks). */
    private static final ListStateDescriptor<Long> WATERMARK = new ListStateDescriptor<>("meter-usage-watermark", Types.LONG);

    /** The same object as {@code userFunction} (one serialized object graph), typed. */
    private final MeterUsage usage;
    private transient ListState<Long> watermarkState;
    private transient long restoredWatermark;
    private transient long watermark;

    public MeterUsageOperator(MeterUsage usage) {
        super(usage);
        this.usage = usage;
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
        usage.useKeySwitch(this::setCurrentKey, () -> (String) getCurrentKey());
        super.open();
        usage.restoredWatermark(restoredWatermark);
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
        usage.writeBuffered();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        watermarkState.update(List.of(watermark));
    }

    @Override
    public void finish() throws Exception {
        usage.writeBuffered();
        super.finish();
    }
}
