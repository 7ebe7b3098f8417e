package io.wattflow.pipeline.sink;

import io.wattflow.pipeline.usage.UsageBucket;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The latest value of every InfluxDB point not yet written: the writer's checkpointed state. Keyed by point, so
 * it is bounded by the distinct buckets within the lateness horizon however long InfluxDB is away.
 */
public final class PendingPoints {
    /** One point: measurement energy, tags meter_id and channel, timestamp the bucket start. */
    public record PointKey(String meterId, String channel, long bucketStartMillis) {
    }

    private final Map<PointKey, Long> latest = new LinkedHashMap<>();

    public void put(UsageBucket bucket) {
        latest.put(new PointKey(bucket.meterId, bucket.channel, bucket.bucketStartMillis), bucket.energyMilliWattHours);
    }

    public void putAll(PendingPoints other) {
        latest.putAll(other.latest);
    }

    public Map<PointKey, Long> view() {
        return latest;
    }

    public int size() {
        return latest.size();
    }

    /** Removes the written points, unless a newer value arrived meanwhile. */
    public void written(Map<PointKey, Long> points) {
        points.forEach((key, value) -> latest.remove(key, value));
    }

    /** Version 1: count, then meter id, channel, bucket start, energy per point. */
    public static final class Serializer implements SimpleVersionedSerializer<PendingPoints> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(PendingPoints points) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(points.latest.size());
                for (Map.Entry<PointKey, Long> entry : points.latest.entrySet()) {
                    out.writeUTF(entry.getKey().meterId());
                    out.writeUTF(entry.getKey().channel());
                    out.writeLong(entry.getKey().bucketStartMillis());
                    out.writeLong(entry.getValue());
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public PendingPoints deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown version " + version + " of the InfluxDB writer state");
            }
            PendingPoints points = new PendingPoints();
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    points.latest.put(new PointKey(in.readUTF(), in.readUTF(), in.readLong()), in.readLong());
                }
            }
            return points;
        }
    }
}
