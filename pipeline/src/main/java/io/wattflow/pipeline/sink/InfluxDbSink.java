package io.wattflow.pipeline.sink;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import com.influxdb.exceptions.InfluxException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 *
 * <p>Only outages are retried (connection errors, timeouts, 5xx, and 401/403/404/429, which a fixed configuration or
 * a calmer server ends). A write refused for its content (400, 413, 422) is split in halves until the refused points
 * are alone; each of those is counted in {@code influxPointsDropped}, logged (the first one of each writer, then every
 * 1000th) and dropped, so one bad point never blocks the others. The breaker does not count such refusals: the
 * server answered.
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
        final Counter pointsDropped;
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
            metrics.gauge("influx_points_pending", pending::size);
            metrics.gauge("influx_breaker_state", () -> switch (breaker.getState()) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                default -> 2; // open, forced open or disabled
            });
            this.pointsWritten = metrics.counter("influx_points_written_total");
            this.writeFailures = metrics.counter("influx_write_failures_total");
            this.pointsDropped = metrics.counter("influx_points_dropped_total");
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
                    writeSplittingRefused(batch);
                    breaker.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                } catch (RuntimeException e) {
                    breaker.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
                    writeFailures.inc();
                    LOG.warn("InfluxDB at {} refused {} points ({}); {} points pending, breaker {}", settings.url(), batch.size(),
                            e.getMessage(), pending.size(), breaker.getState());
                    return;
                }
            }
        }

        /**
         * Writes the batch; a part refused for its content is halved and written again, down to single points, which are
         * dropped. Throws on an outage (what was written before it stays written and leaves the pending points).
         */
        private void writeSplittingRefused(Map<String, String> batch) {
            Deque<List<Map.Entry<String, String>>> parts = new ArrayDeque<>();
            parts.push(new ArrayList<>(batch.entrySet()));
            while (!parts.isEmpty()) {
                List<Map.Entry<String, String>> part = parts.pop();
                Map<String, String> points = new LinkedHashMap<>();
                part.forEach(entry -> points.put(entry.getKey(), entry.getValue()));
                try {
                    writeApi.writeRecords(settings.bucket(), settings.org(), WritePrecision.MS, new ArrayList<>(points.values()));
                    pending.written(points);
                    pointsWritten.inc(points.size());
                } catch (InfluxException e) {
                    if (!refusedForContent(e)) {
                        throw e;
                    }
                    if (part.size() == 1) {
                        drop(points, e);
                    } else {
                        parts.push(part.subList(part.size() / 2, part.size()));
                        parts.push(part.subList(0, part.size() / 2));
                    }
                }
            }
        }

        /** 400 (line protocol), 413 (too large) and 422 (outside retention, wrong type) say the points are wrong, not the server. */
        static boolean refusedForContent(InfluxException e) {
            return e.status() == 400 || e.status() == 413 || e.status() == 422;
        }

        private void drop(Map<String, String> point, InfluxException refusal) {
            pending.written(point);
            pointsDropped.inc();
            if (pointsDropped.getCount() % 1000 == 1) {
                LOG.warn("InfluxDB at {} refused a point for its content ({} {}), dropped ({} dropped so far): {}", settings.url(),
                        refusal.status(), refusal.getMessage(), pointsDropped.getCount(), point.values().iterator().next());
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
