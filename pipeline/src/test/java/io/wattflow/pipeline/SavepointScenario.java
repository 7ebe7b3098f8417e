package io.wattflow.pipeline;

import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The readings of the savepoint compatibility check, with fixed Kafka record timestamps so the scenario does not
 * depend on the day it runs. {@link SavepointFixture} runs the job over {@link #BEFORE} and keeps a savepoint;
 * {@code SavepointCompatibilityIT} restores it and sends {@link #AFTER}, whose results depend on the restored state.
 */
final class SavepointScenario {
    static final String TOPIC = "savepoint-readings";
    static final String DEAD_LETTER_TOPIC = "savepoint-readings.dlq";
    static final String RESOURCE = "/savepoints/metering-v1";

    /** key, JSON value, record time. */
    record Reading(String key, String json, Instant recordTime) {
    }

    private static Reading interval(String id, String meter, String start, String end, String kwh) {
        return new Reading(meter, "{\"readingId\":\"" + id + "\",\"meterId\":\"" + meter + "\",\"kind\":\"interval\",\"start\":\"" + start
                + "\",\"end\":\"" + end + "\",\"kwh\":" + kwh + "}", Instant.parse(end).plusSeconds(60));
    }

    private static Reading register(String id, String meter, String ts, String kwh) {
        return new Reading(meter, "{\"readingId\":\"" + id + "\",\"meterId\":\"" + meter + "\",\"kind\":\"register\",\"ts\":\"" + ts
                + "\",\"registerKwh\":" + kwh + "}", Instant.parse(ts).plusSeconds(60));
    }

    static final List<Reading> BEFORE = List.of(
            interval("r1", "MTR-A", "2026-11-01T00:00:00Z", "2026-11-01T00:30:00Z", "1.0"),
            interval("r2", "MTR-A", "2026-11-01T00:30:00Z", "2026-11-01T00:50:00Z", "0.6"),
            register("g1", "REG-1", "2026-11-01T00:00:00Z", "100.0"),
            register("g2", "REG-1", "2026-11-01T01:00:00Z", "101.0"),
            new Reading("MTR-A", "oops", Instant.parse("2026-11-01T01:01:00Z")));

    static final List<Reading> AFTER = List.of(
            interval("r2", "MTR-A", "2026-11-01T00:30:00Z", "2026-11-01T00:50:00Z", "0.6"),    // resend: counted once
            interval("r3", "MTR-A", "2026-11-01T00:50:00Z", "2026-11-01T01:00:00Z", "0.2"),    // adds to the restored 00:45 total
            register("g15", "REG-1", "2026-11-01T00:30:00Z", "100.75"),                      // re-splits the restored span g1-g2
            interval("r1", "MTR-A", "2026-11-01T00:00:00Z", "2026-11-01T00:30:00Z", "1.5")); // conflicts with the restored r1

    /** usage_15m after the restored job has processed AFTER: only the buckets it touched, with totals that need the old state. */
    static final Map<String, Long> EXPECTED_AFTER = Map.of(
            "MTR-A@2026-11-01T00:45:00Z", 350_000L,
            "REG-1@2026-11-01T00:00:00Z", 375_000L,
            "REG-1@2026-11-01T00:15:00Z", 375_000L,
            "REG-1@2026-11-01T00:30:00Z", 125_000L,
            "REG-1@2026-11-01T00:45:00Z", 125_000L);

    private SavepointScenario() {
    }

    static void createTopics(KafkaBroker kafka) {
        // One partition, kept forever: the restored offsets must point at the same records.
        kafka.createTopics(List.of(new KafkaBroker.TopicSpec(TOPIC, 1, Map.of("retention.ms", "-1")),
                new KafkaBroker.TopicSpec(DEAD_LETTER_TOPIC, 1, Map.of("retention.ms", "-1"))));
    }

    static void produce(KafkaBroker kafka, List<Reading> readings) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            for (Reading reading : readings) {
                producer.send(new ProducerRecord<>(TOPIC, 0, reading.recordTime().toEpochMilli(), reading.key(), reading.json()));
            }
            producer.flush();
        }
    }

    static PipelineConfig config(TestServices services, String database) {
        PostgresServer postgres = services.postgres();
        return PipelineConfig.defaults()
                .with(PipelineConfig.KAFKA_BOOTSTRAP, services.kafka().bootstrapServers())
                .with(PipelineConfig.READINGS_TOPIC, TOPIC)
                .with(PipelineConfig.DEAD_LETTER_TOPIC, DEAD_LETTER_TOPIC)
                .with(PipelineConfig.GROUP_ID, "savepoint-metering")
                .with(PipelineConfig.TRANSACTIONAL_ID_PREFIX, "savepoint-metering-dlq")
                .with(PipelineConfig.POSTGRES_URL, postgres.jdbcUrl(database))
                .with(PipelineConfig.POSTGRES_PASSWORD_FILE, postgres.rolePasswordFile(PostgresServer.PIPELINE_ROLE).toString())
                .with(PipelineConfig.INFLUX_URL, services.questDb().url())
                .with(PipelineConfig.CHECKPOINT_INTERVAL, "1s")
                .with(PipelineConfig.SINK_BATCH_INTERVAL, "100ms");
    }

    /** The production topology with the production source and sinks, optionally restored from a savepoint. */
    static JobClient start(PipelineConfig config, String savepointPath) throws Exception {
        Configuration configuration = MeteringJob.flinkConfiguration();
        if (savepointPath != null) {
            configuration.setString("execution.state-recovery.path", savepointPath);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
        env.setParallelism(2);
        MeteringJob.configure(env, config);
        DataStream<RawReading> readings = MeteringJob.readings(env, config);
        MeteringJob.build(readings, config, MeteringJob.productionSinks(config));
        return env.executeAsync("savepoint-scenario");
    }

    static final Duration TIMEOUT = Duration.ofMinutes(2);
}
