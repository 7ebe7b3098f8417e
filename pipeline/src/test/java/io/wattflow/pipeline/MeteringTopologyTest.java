package io.wattflow.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.pipeline.fleet.FleetBucket;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.ReadingParser;
import io.wattflow.pipeline.reading.RecordTimeWatermarks;
import io.wattflow.pipeline.reading.Rejection;
import io.wattflow.pipeline.usage.UsageBucket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The wiring of {@link MeteringJob#build}: readings from memory through the whole topology into collecting sinks, on a
 * MiniCluster, with no server. Which row reaches which sink; the integration tests prove the guarantees.
 */
class MeteringTopologyTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** What each collecting sink received, by sink name (the job runs in this JVM). */
    private static final Map<String, List<Object>> COLLECTED = new ConcurrentHashMap<>();

    private static final class Collecting<T> implements Sink<T> {
        private static final long serialVersionUID = 1L;
        private final String name;

        Collecting(String name) {
            this.name = name;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            List<Object> received = COLLECTED.computeIfAbsent(name, key -> Collections.synchronizedList(new ArrayList<>()));
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context context) {
                    received.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {
                }

                @Override
                public void close() {
                }
            };
        }
    }

    private static long offset;

    private static RawReading record(String meter, String json, String recordTime) {
        return new RawReading("readings", 0, offset++, Instant.parse(recordTime).toEpochMilli(), meter.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8));
    }

    private static RawReading interval(String id, String meter, String start, String end, String kwh) {
        return record(meter, "{\"readingId\":\"" + id + "\",\"meterId\":\"" + meter + "\",\"kind\":\"interval\",\"start\":\"" + start
                + "\",\"end\":\"" + end + "\",\"kwh\":" + kwh + "}", Instant.parse(end).plusSeconds(60).toString());
    }

    private static RawReading register(String id, String meter, String ts, String kwh) {
        return record(meter, "{\"readingId\":\"" + id + "\",\"meterId\":\"" + meter + "\",\"kind\":\"register\",\"ts\":\"" + ts
                + "\",\"registerKwh\":" + kwh + "}", Instant.parse(ts).plusSeconds(60).toString());
    }

    @Test
    void readingsReachTheUsageTableTheTimeSeriesTheFleetSeriesAndTheDeadLetters() throws Exception {
        List<RawReading> readings = List.of(
                interval("r1", "MTR-1", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "1.0"),
                interval("r2", "MTR-1", "2026-11-01T10:15:00Z", "2026-11-01T10:45:00Z", "0.6"),
                interval("r1", "MTR-1", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "1.0"),      // resend: counted once
                interval("r1", "MTR-2", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "0.25"),
                register("g1", "REG-1", "2026-11-01T10:00:00Z", "100.0"),
                register("g2", "REG-1", "2026-11-01T10:30:00Z", "101.0"),
                record("MTR-1", "oops", "2026-11-01T10:46:00Z"),                                   // malformed
                interval("r1", "MTR-1", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "2.0"));     // conflicts with r1
        PipelineConfig config = PipelineConfig.defaults().with(PipelineConfig.CHECKPOINT_INTERVAL, "1s");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(MeteringJob.flinkConfiguration());
        env.setParallelism(1); // one source subtask: more would reorder a meter's readings before the keyBy, unlike Kafka's partitions
        MeteringJob.configure(env, config);
        ReadingParser.ReadingRules rules = config.readingRules();
        MeteringJob.build(env.fromData(readings, TypeInformation.of(RawReading.class))
                        .assignTimestampsAndWatermarks(RecordTimeWatermarks.strategy(rules.latenessHorizon(), rules.maxFutureSkew(),
                                RecordTimeWatermarks.DEFAULT_IDLENESS)),
                config, new Sinks(new Collecting<>("usage"), new Collecting<>("energy"), new Collecting<>("fleet"), new Collecting<>("dlq")));

        env.execute("metering-topology");

        Map<String, Long> expectedUsage = Map.of(
                "MTR-1@2026-11-01T10:00:00Z", 1_000_000L, "MTR-1@2026-11-01T10:15:00Z", 300_000L, "MTR-1@2026-11-01T10:30:00Z", 300_000L,
                "MTR-2@2026-11-01T10:00:00Z", 250_000L,
                "REG-1@2026-11-01T10:00:00Z", 500_000L, "REG-1@2026-11-01T10:15:00Z", 500_000L);
        assertThat(latestUsage("usage")).isEqualTo(new TreeMap<>(expectedUsage));
        assertThat(latestUsage("energy")).isEqualTo(new TreeMap<>(expectedUsage));
        assertThat(latestFleet()).containsExactly(
                Map.entry("import@2026-11-01T10:00:00Z", "1750000 mWh from 3 meters"),
                Map.entry("import@2026-11-01T10:15:00Z", "800000 mWh from 2 meters"),
                Map.entry("import@2026-11-01T10:30:00Z", "300000 mWh from 1 meters"));
        assertThat(COLLECTED.get("dlq")).extracting(letter -> ((Rejection) letter).reason.code())
                .containsExactlyInAnyOrder("malformed_json", "conflicting_duplicate");
    }

    @Test
    void theFrameworkCostJobForwardsEveryValidReadingOnceAndDropsTheRest() throws Exception {
        List<RawReading> readings = List.of(
                interval("f1", "MTR-F1", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "1.0"),
                interval("f2", "MTR-F2", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "0.25"),
                record("MTR-F1", "oops", "2026-11-01T10:46:00Z"),
                interval("f1", "MTR-F1", "2026-11-01T10:00:00Z", "2026-11-01T10:15:00Z", "1.0")); // no state: no deduplication
        PipelineConfig config = PipelineConfig.defaults().with(PipelineConfig.CHECKPOINT_INTERVAL, "1s");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(MeteringJob.flinkConfiguration());
        env.setParallelism(1);
        MeteringJob.configure(env, config);

        FrameworkCostJob.build(env.fromData(readings, TypeInformation.of(RawReading.class)), config, new Collecting<>("framework"));
        env.execute("framework-cost");

        assertThat(COLLECTED.get("framework")).containsExactlyInAnyOrder(1_000_000L, 250_000L, 1_000_000L);
    }

    /** The last total each bucket got (a bucket changed in two checkpoints is written twice). */
    private static Map<String, Long> latestUsage(String sink) {
        Map<String, Long> latest = new TreeMap<>();
        for (Object row : COLLECTED.get(sink)) {
            UsageBucket bucket = (UsageBucket) row;
            latest.put(bucket.meterId + "@" + Instant.ofEpochMilli(bucket.bucketStartMillis), bucket.energyMilliWattHours);
        }
        return latest;
    }

    private static Map<String, String> latestFleet() {
        Map<String, String> latest = new TreeMap<>();
        for (Object row : COLLECTED.get("fleet")) {
            FleetBucket bucket = (FleetBucket) row;
            latest.put(bucket.channel + "@" + Instant.ofEpochMilli(bucket.bucketStartMillis),
                    bucket.energyMilliWattHours + " mWh from " + bucket.meters + " meters");
        }
        return latest;
    }
}
