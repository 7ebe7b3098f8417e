package io.wattflow.pipeline.sink;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import com.influxdb.client.write.Point;
import io.wattflow.pipeline.usage.UsageBucket;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes bucket totals as InfluxDB points (measurement {@code energy}, tags {@code meter_id} and {@code channel},
 * integer field {@code energy_mwh}, timestamp = bucket start) with influxdb-client-java. Only the latest value of
 * each point is kept between flushes, so writes grow with distinct buckets touched, not with readings. Every
 * checkpoint flushes, so a completed checkpoint implies its points were written (at least once; the point is
 * absolute, so a rewrite replaces it).
 */
public class InfluxDbSink implements Sink<UsageBucket> {
    private static final long serialVersionUID = 1L;

    private final Settings settings;

    public InfluxDbSink(Settings settings) {
        this.settings = settings;
    }

    /** Where and how to write. The token may be empty for servers that ignore it (QuestDB). */
    public record Settings(String url, String token, String org, String bucket, int maxBufferedPoints, long flushIntervalMillis)
            implements Serializable {
        @Override
        public String toString() {
            return "Settings[url=" + url + ", org=" + org + ", bucket=" + bucket + "]"; // never print the token
        }
    }

    @Override
    public SinkWriter<UsageBucket> createWriter(WriterInitContext context) {
        return new Writer(settings);
    }

    static final class Writer implements SinkWriter<UsageBucket> {
        private final Settings settings;
        private final InfluxDBClient client;
        private final WriteApiBlocking writeApi;
        private final Map<String, Point> latest = new LinkedHashMap<>();
        private long lastFlush = System.currentTimeMillis();

        Writer(Settings settings) {
            this.settings = settings;
            InfluxDBClientOptions options = InfluxDBClientOptions.builder()
                    .url(settings.url())
                    .authenticateToken(settings.token().toCharArray())
                    .org(settings.org())
                    .bucket(settings.bucket())
                    .okHttpClient(new OkHttpClient.Builder()
                            .connectTimeout(java.time.Duration.ofSeconds(5))
                            .readTimeout(java.time.Duration.ofSeconds(30))
                            .writeTimeout(java.time.Duration.ofSeconds(30)))
                    .build();
            this.client = InfluxDBClientFactory.create(options);
            this.writeApi = client.getWriteApiBlocking();
        }

        @Override
        public void write(UsageBucket bucket, Context context) throws IOException {
            String key = bucket.meterId + '\u0000' + bucket.channel + '\u0000' + bucket.bucketStartMillis;
            latest.put(key, Point.measurement("energy")
                    .addTag("meter_id", bucket.meterId)
                    .addTag("channel", bucket.channel)
                    .addField("energy_mwh", bucket.energyMilliWattHours)
                    .time(bucket.bucketStartMillis, WritePrecision.MS));
            if (latest.size() >= settings.maxBufferedPoints()
                    || System.currentTimeMillis() - lastFlush >= settings.flushIntervalMillis()) {
                writeBuffered();
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            writeBuffered();
        }

        private void writeBuffered() throws IOException {
            lastFlush = System.currentTimeMillis();
            if (latest.isEmpty()) {
                return;
            }
            List<Point> points = new ArrayList<>(latest.values());
            try {
                writeApi.writePoints(settings.bucket(), settings.org(), points);
            } catch (RuntimeException e) {
                throw new IOException("InfluxDB at " + settings.url() + " refused " + points.size() + " points: " + e.getMessage(), e);
            }
            latest.clear();
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
