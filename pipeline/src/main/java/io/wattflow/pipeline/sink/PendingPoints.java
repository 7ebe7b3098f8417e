package io.wattflow.pipeline.sink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The latest line of every InfluxDB point not yet written: the writer's checkpointed state. Keyed by point
 * (measurement, tags, timestamp), so it is bounded by the distinct points within the lateness horizon however long
 * InfluxDB is away.
 */
public final class PendingPoints {
    /** point key -> line protocol */
    private final Map<String, String> latest = new LinkedHashMap<>();

    public void put(String pointKey, String line) {
        latest.put(pointKey, line);
    }

    public void putAll(PendingPoints other) {
        latest.putAll(other.latest);
    }

    public Map<String, String> view() {
        return latest;
    }

    public int size() {
        return latest.size();
    }

    /** Removes the written points, unless a newer value arrived meanwhile. */
    public void written(Map<String, String> points) {
        points.forEach(latest::remove);
    }

    /**
     * Version 2: count, then point key and line per point. Version 1 (meter id, channel, bucket start, energy of
     * measurement {@code energy}) is still read, so savepoints of the first release restore.
     */
    public static final class Serializer implements SimpleVersionedSerializer<PendingPoints> {
        @Override
        public int getVersion() {
            return 2;
        }

        @Override
        public byte[] serialize(PendingPoints points) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(points.latest.size());
                for (Map.Entry<String, String> entry : points.latest.entrySet()) {
                    out.writeUTF(entry.getKey());
                    out.writeUTF(entry.getValue());
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public PendingPoints deserialize(int version, byte[] serialized) throws IOException {
            PendingPoints points = new PendingPoints();
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    switch (version) {
                        case 1 -> {
                            String meterId = in.readUTF();
                            String channel = in.readUTF();
                            long bucketStart = in.readLong();
                            long energy = in.readLong();
                            InfluxLines.Line line = InfluxLines.line(InfluxLines.energy(meterId, channel, bucketStart, energy), bucketStart);
                            points.put(line.key(), line.line());
                        }
                        case 2 -> points.put(in.readUTF(), in.readUTF());
                        default -> throw new IOException("unknown version " + version + " of the InfluxDB writer state");
                    }
                }
            }
            return points;
        }
    }
}
