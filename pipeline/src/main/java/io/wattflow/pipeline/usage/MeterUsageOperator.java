package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs {@link MeterUsage} with its state writes buffered between checkpoints: it lends the function a way to switch
 * the keyed state between meters, and has it write everything out before each checkpoint barrier and at the end of
 * input, so every snapshot holds all changes made before its barrier.
 */
public final class MeterUsageOperator extends KeyedProcessOperator<String, MeterReading, UsageBucket> {
    private static final long serialVersionUID = 1L;

    /** The same object as {@code userFunction} (one serialized object graph), typed. */
    private final MeterUsage usage;

    public MeterUsageOperator(MeterUsage usage) {
        super(usage);
        this.usage = usage;
    }

    @Override
    public void open() throws Exception {
        usage.useKeySwitch(this::setCurrentKey, () -> (String) getCurrentKey());
        super.open();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        usage.writeBuffered();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        usage.writeBuffered();
        super.finish();
    }
}
