package io.wattflow.pipeline.sink;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes points to InfluxDB with influxdb-client-java: per-meter buckets (measurement {@code energy}) or the fleet
 * series (measurement {@code fleet}), as {@link InfluxLines} maps them.
 *
 * <p>Billing never waits for InfluxDB: the latest value of each point is kept in {@link PendingPoints}, which is
 * the writer's checkpointed state, and written when the circuit breaker lets a call through. While InfluxDB is
 * unreachable the breaker is open and no call is made; it half-opens after a wait that grows exponentially
 * (1 s doubling to 60 s), so a failed InfluxDB costs the job one short, timed-out call per wait. A TaskManager lost
 * during the outage loses no point: the pending points are in the checkpoint.
 */
public class InfluxDbSink<T> implements Sink<T>, SupportsWriterState<T, PendingPoints> {
    private static final long serialVersionUID = 1L;

    private final Settings settings;
    private final InfluxLines.Mapper<T> lines;

    public InfluxDbSink(Settings settings, InfluxLines.Mapper<T> lines) {
        this.settings = settings;
        this.lines = lines;
    }

    /** Where and how to write. The token may be empty for servers that ignore it (QuestDB). */
    public record Settings(String url, String token, String org, String bucket, int maxPointsPerWrite, long flushIntervalMillis)
            implements Serializable {
        @Override
        public String toString() {
            return "Settings[url=" + url + ", org=" + org + ", bucket=" + bucket + "]"; // never print the token
        }
    }

    @Override
    public StatefulSinkWriter<T, PendingPoints> createWriter(WriterInitContext context) {
        return new Writer<>(settings, lines, context.metricGroup(), new PendingPoints());
    }

    @Override
    public StatefulSinkWriter<T, PendingPoints> restoreWriter(WriterInitContext context, Collection<PendingPoints> states) {
        PendingPoints pending = new PendingPoints();
        states.forEach(pending::putAll);
        return new Writer<>(settings, lines, context.metricGroup(), pending);
    }

    @Override
    public SimpleVersionedSerializer<PendingPoints> getWriterStateSerializer() {
        return new PendingPoints.Serializer();
    }

    static final class Writer<T> implements StatefulSinkWriter<T, PendingPoints> {
        private static final Logger LOG = LoggerFactory.getLogger(InfluxDbSink.class);

        private final Settings settings;
        private final InfluxLines.Mapper<T> lines;
        final PendingPoints pending;
        private final InfluxDBClient client;
        private final WriteApiBlocking writeApi;
        final CircuitBreaker breaker;
        private final Counter pointsWritten;
        private final Counter writeFailures;
        private long lastAttempt = System.currentTimeMillis();

        Writer(Settings settings, InfluxLines.Mapper<T> lines, MetricGroup metrics, PendingPoints pending) {
            this.settings = settings;
            this.lines = lines;
            this.pending = pending;
            InfluxDBClientOptions options = InfluxDBClientOptions.builder()
                    .url(settings.url())
                    .authenticateToken(settings.token().toCharArray())
                    .org(settings.org())
                    .bucket(settings.bucket())
                    .okHttpClient(new OkHttpClient.Builder()
                            .connectTimeout(Duration.ofSeconds(2))
                            .readTimeout(Duration.ofSeconds(10))
                            .writeTimeout(Duration.ofSeconds(10))
                            .retryOnConnectionFailure(false))
                    .build();
            this.client = InfluxDBClientFactory.create(options);
            this.writeApi = client.getWriteApiBlocking();
            this.breaker = CircuitBreaker.of("influxdb", breakerConfig());
            metrics.gauge("influxPointsPending", pending::size);
            metrics.gauge("influxBreakerState", () -> switch (breaker.getState()) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                default -> 2; // open, forced open or disabled
            });
            this.pointsWritten = metrics.counter("influxPointsWritten");
            this.writeFailures = metrics.counter("influxWriteFailures");
        }

        static CircuitBreakerConfig breakerConfig() {
            return CircuitBreakerConfig.custom()
                    .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                    .slidingWindowSize(4)
                    .minimumNumberOfCalls(2)
                    .failureRateThreshold(50)
                    .permittedNumberOfCallsInHalfOpenState(1)
                    .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(60)))
                    .automaticTransitionFromOpenToHalfOpenEnabled(false)
                    .build();
        }

        @Override
        public void write(T element, Context context) {
            InfluxLines.Line line = lines.apply(element);
            pending.put(line.key(), line.line());
            if (pending.size() >= settings.maxPointsPerWrite()
                    || System.currentTimeMillis() - lastAttempt >= settings.flushIntervalMillis()) {
                tryWrite();
            }
        }

        /** Called before every checkpoint: a last chance to write, never a reason to fail or wait. */
        @Override
        public void flush(boolean endOfInput) throws IOException {
            tryWrite();
            if (endOfInput && pending.size() > 0) {
                // A bounded job ends here: with no later checkpoint to carry the points, failing is better than losing them.
                throw new IOException("InfluxDB at " + settings.url() + " is unreachable; " + pending.size() + " points not written");
            }
        }

        private void tryWrite() {
            lastAttempt = System.currentTimeMillis();
            while (pending.size() > 0 && breaker.tryAcquirePermission()) {
                Map<String, String> batch = new LinkedHashMap<>();
                for (Map.Entry<String, String> entry : pending.view().entrySet()) {
                    batch.put(entry.getKey(), entry.getValue());
                    if (batch.size() >= settings.maxPointsPerWrite()) {
                        break;
                    }
                }
                long started = System.nanoTime();
                try {
                    writeApi.writeRecords(settings.bucket(), settings.org(), WritePrecision.MS, new ArrayList<>(batch.values()));
                    breaker.onSuccess(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
                    pending.written(batch);
                    pointsWritten.inc(batch.size());
                } catch (RuntimeException e) {
                    breaker.onError(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS, e);
                    writeFailures.inc();
                    LOG.warn("InfluxDB at {} refused {} points ({}); {} points pending, breaker {}", settings.url(), batch.size(),
                            e.getMessage(), pending.size(), breaker.getState());
                    return;
                }
            }
        }

        @Override
        public List<PendingPoints> snapshotState(long checkpointId) {
            PendingPoints copy = new PendingPoints();
            copy.putAll(pending);
            return List.of(copy);
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
