package io.wattflow.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.loadgen.ReadingGenerator;
import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.sink.DeadLetterSerializer;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.StackCheck;
import io.wattflow.stack.testing.TestServices;
import io.wattflow.stack.testing.TopicContents;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The metering job on a Flink MiniCluster (parallelism 2) against a real Kafka broker, PostgreSQL and QuestDB:
 * a deterministic, faulty stream of readings must land in usage_15m exactly, even though the job fails mid-stream,
 * fails a checkpoint and fails its first recovery; and billing goes on while InfluxDB is away, which catches up.
 */
class MeteringPipelineIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** Fails the job once, after this many records, to force a restore from the last checkpoint. */
    static final class FailOnceAfter implements MapFunction<RawReading, RawReading> {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private final int after;
        private int seen;

        FailOnceAfter(int after) {
            this.after = after;
        }

        @Override
        public RawReading map(RawReading reading) {
            if (++seen == after && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after " + after + " records");
            }
            return reading;
        }
    }

    /** Fails the second checkpoint once, inside snapshotState. */
    static final class FailSnapshotOnce implements MapFunction<RawReading, RawReading>, CheckpointedFunction {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private int snapshots;

        @Override
        public RawReading map(RawReading reading) {
            return reading;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            if (++snapshots == 2 && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure in snapshotState of checkpoint " + context.getCheckpointId());
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
        }
    }

    /** Fails the first restore from a checkpoint once, while the job recovers. */
    static final class FailFirstRecovery implements MapFunction<RawReading, RawReading>, CheckpointedFunction {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean FAILED = new AtomicBoolean();

        @Override
        public RawReading map(RawReading reading) {
            return reading;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            if (context.isRestored() && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure during recovery");
            }
        }
    }

    @Test
    void everyValidReadingIsBilledExactlyOnceThroughFailuresAndAnInfluxDbOutage() throws Exception {
        TestServices services = TestServices.shared();
        PostgresServer postgres = services.postgres();
        String database = "pipeline_it";
        postgres.createDatabaseAndRoles(database);
        KafkaBroker kafka = services.kafka();
        kafka.createTopics(List.of(new KafkaBroker.TopicSpec("it-readings", 4, Map.of()),
                new KafkaBroker.TopicSpec("it-readings.dlq", 2, Map.of())));
        services.questDb().execute("TRUNCATE TABLE energy");
        services.questDb().execute("TRUNCATE TABLE fleet");

        // Given 30 interval meters and 10 register meters (with resets) x 40 half-hours (each split over two buckets),
        // with duplicates, disorder, late arrivals (re-splitting register spans) and garbage
        GeneratorSettings settings = GeneratorSettings.endingBefore(Instant.now(), 30, 40, 30, 11)
                .withFaults(0.05, 0.05, 0.02, 0.03)
                .withRegisterMeters(10, 0.1);
        LoadGenerator.Summary produced;
        try {
            produced = LoadGenerator.produce(new LoadGenerator.Options(kafka.bootstrapServers(), "it-readings", settings, 1_000_000));
        } catch (IllegalStateException e) {
            // A batch that expired on a busy machine: the broker's side of the story, before its folder is deleted
            throw new IllegalStateException(e.getMessage() + "\nlast lines of the broker's log:\n" + kafka.process().tailOfLog(80), e);
        }
        assertThat(produced.malformed()).isPositive();
        Map<String, Long> expected = expectedBuckets(settings);

        // When the job runs, failing once after 700 records
        PipelineConfig config = MiniClusterJobs.config(services, "it-readings", database);
        Configuration flinkConfiguration = MeteringJob.flinkConfiguration();
        flinkConfiguration.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        flinkConfiguration.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
        flinkConfiguration.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        JobClient job = MiniClusterJobs.start(config, flinkConfiguration, readings -> readings
                .map(new FailOnceAfter(700)).uid("inject-failure").name("Fail once after 700 records")
                .map(new FailSnapshotOnce()).uid("inject-snapshot-failure").name("Fail a snapshot once")
                .map(new FailFirstRecovery()).uid("inject-recovery-failure").name("Fail the first recovery"), "metering-it");
        try {
            // Then, once every injected failure has happened, usage_15m holds exactly the expected buckets, to the milli-Wh
            await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
                assertThat(FailOnceAfter.FAILED).isTrue();
                assertThat(FailSnapshotOnce.FAILED).isTrue();
                assertThat(FailFirstRecovery.FAILED).isTrue();
            });
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(usageRows(postgres, database)).containsExactlyInAnyOrderEntriesOf(expected));

            // and QuestDB holds the same value for every bucket
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(StackCheck.compare(postgres, database, services.questDb()).identical()).isTrue());

            // When InfluxDB (QuestDB) goes away and more readings arrive (the same meters, the preceding day)
            services.questDb().stop();
            GeneratorSettings earlier = new GeneratorSettings(30, 40, 30, 12, settings.start().minus(Duration.ofDays(1)), 0, 0, 0, 0);
            LoadGenerator.produce(new LoadGenerator.Options(kafka.bootstrapServers(), "it-readings", earlier, 1_000_000));
            Map<String, Long> both = new HashMap<>(expected);
            both.putAll(expectedBuckets(earlier));

            // Then billing advances during the outage
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(usageRows(postgres, database)).containsExactlyInAnyOrderEntriesOf(both));

            // and when InfluxDB returns it catches up with every bucket
            services.questDb().start(false);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(StackCheck.compare(postgres, database, services.questDb()).identical()).isTrue());

            // and every malformed record is in the dead-letter topic once, byte for byte, with its reason
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(deadLetters(kafka)).hasSize((int) produced.malformed()));
            for (ConsumerRecord<byte[], byte[]> letter : deadLetters(kafka)) {
                String reason = new String(letter.headers().lastHeader(DeadLetterSerializer.REASON).value(), StandardCharsets.UTF_8);
                assertThat(reason).isIn("malformed_json", "missing_field", "negative_energy", "non_positive_interval");
                assertThat(letter.headers().lastHeader(DeadLetterSerializer.SOURCE_OFFSET)).isNotNull();
            }
        } finally {
            job.cancel().get();
        }
    }

    /**
     * Independent of the pipeline's splitter: a half-hour aligned reading (or register span) puts ceil(e/2) in its first
     * bucket, floor(e/2) in its second.
     */
    private static Map<String, Long> expectedBuckets(GeneratorSettings settings) {
        Map<String, Long> expected = new HashMap<>();
        for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(settings)) {
            long energy = reading.energyMilliWattHours();
            expected.merge(reading.meterId() + "@" + reading.start(), energy - energy / 2, Long::sum);
            expected.merge(reading.meterId() + "@" + reading.start().plus(Duration.ofMinutes(15)), energy / 2, Long::sum);
        }
        return expected;
    }

    private static Map<String, Long> usageRows(PostgresServer postgres, String database) throws Exception {
        Map<String, Long> rows = new HashMap<>();
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT meter_id, bucket_start, energy_mwh, reading_count FROM usage_15m")) {
            while (result.next()) {
                assertThat(result.getInt(4)).isEqualTo(1); // each bucket is covered by exactly one half-hour reading
                rows.put(result.getString(1) + "@" + result.getTimestamp(2).toInstant(), result.getLong(3));
            }
        }
        return rows;
    }

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters(KafkaBroker kafka) {
        return TopicContents.readAll(kafka.bootstrapServers(), "it-readings.dlq", Duration.ofSeconds(10));
    }
}
