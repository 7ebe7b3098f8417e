package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.sink.JdbcDriverRelease;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Keeps only the latest absolute total of each bucket and hands them on just before each checkpoint barrier, so
 * database and InfluxDB writes grow with the distinct buckets touched per checkpoint, not with the readings.
 * The buffer is empty at every snapshot, so it needs no state: what is lost in a failure is replayed from Kafka.
 * A size bound flushes early so memory stays bounded under a burst of distinct buckets.
 */
public class LatestBucketsPerCheckpoint extends AbstractStreamOperator<UsageBucket>
        implements OneInputStreamOperator<UsageBucket, UsageBucket> {
    private static final long serialVersionUID = 1L;

    private final int maxBufferedBuckets;
    private transient Map<MeterBucket, UsageBucket> latest;
    private transient Counter bucketsUpserted;

    public LatestBucketsPerCheckpoint(int maxBufferedBuckets) {
        this.maxBufferedBuckets = maxBufferedBuckets;
    }

    /** A bucket across the fleet: the meter and the bucket's key within it. */
    private record MeterBucket(String meterId, BucketKey bucket) {
    }

    @Override
    public void open() throws Exception {
        super.open();
        JdbcDriverRelease.registerOnce(getRuntimeContext()); // this operator feeds the JDBC sink, in the same task
        latest = new LinkedHashMap<>();
        bucketsUpserted = getMetricGroup().counter("buckets_upserted_total");
    }

    @Override
    public void processElement(StreamRecord<UsageBucket> element) {
        UsageBucket bucket = element.getValue();
        latest.put(new MeterBucket(bucket.meterId, new BucketKey(bucket.channel, bucket.bucketStartMillis)), bucket); // the newest total wins
        if (latest.size() >= maxBufferedBuckets) {
            flush();
        }
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
        for (UsageBucket bucket : latest.values()) {
            output.collect(new StreamRecord<>(bucket));
        }
        bucketsUpserted.inc(latest.size());
        latest.clear();
    }
}
