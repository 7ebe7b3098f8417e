package io.wattflow.pipeline.fleet;

import io.wattflow.pipeline.usage.UsageBucket;
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
public class FleetChanges extends AbstractStreamOperator<FleetBucket> implements OneInputStreamOperator<UsageBucket, FleetBucket> {
    private static final long serialVersionUID = 1L;

    private transient Map<String, FleetBucket> changes;

    @Override
    public void open() throws Exception {
        super.open();
        changes = new LinkedHashMap<>();
    }

    @Override
    public void processElement(StreamRecord<UsageBucket> element) {
        UsageBucket bucket = element.getValue();
        if (bucket.deltaMilliWattHours == 0 && bucket.newMeterBucket == 0) {
            return;
        }
        FleetBucket change = changes.computeIfAbsent(bucket.channel + "@" + bucket.bucketStartMillis,
                key -> new FleetBucket(bucket.channel, bucket.bucketStartMillis, 0, 0));
        change.energyMilliWattHours += bucket.deltaMilliWattHours;
        change.meters += bucket.newMeterBucket;
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
