package io.wattflow.pipeline.fleet;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * First phase of the fleet-wide aggregation, before the shuffle: sums the changes of all meters of this subtask per
 * channel and bucket, and hands the sums on just before each checkpoint barrier (so it needs no state). Without it,
 * every meter's change would travel to the one subtask that owns the bucket.
 */
public class FleetChanges extends AbstractStreamOperator<FleetBucket> implements OneInputStreamOperator<FleetChange, FleetBucket> {
    private static final long serialVersionUID = 1L;

    private transient Map<String, FleetBucket> changes;

    @Override
    public void open() throws Exception {
        super.open();
        changes = new LinkedHashMap<>();
    }

    @Override
    public void processElement(StreamRecord<FleetChange> element) {
        FleetChange change = element.getValue();
        if (change.energyMilliWattHours == 0 && change.newMeters == 0) {
            return;
        }
        FleetBucket sum = changes.computeIfAbsent(change.channel + "@" + change.bucketStartMillis,
                key -> new FleetBucket(change.channel, change.bucketStartMillis, 0, 0));
        sum.energyMilliWattHours += change.energyMilliWattHours;
        sum.meters += change.newMeters;
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    private void flush() {
        for (FleetBucket change : changes.values()) {
            output.collect(new StreamRecord<>(change));
        }
        changes.clear();
    }
}
