package io.wattflow.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wattflow.pipeline.sink.DeadLetterSerializer;
import io.wattflow.pipeline.usage.ProRataSplit;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import io.wattflow.stack.testing.TopicContents;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hostile records in the middle of a valid stream, produced to a real Kafka broker with the stack's topic settings, read
 * by the metering job on a MiniCluster whose restart strategy is disabled: any exception would fail the job. The job
 * must keep running, bill every valid reading exactly (also those behind the hostile ones on the same partition), and
 * put each hostile record in the dead-letter topic once, whole, with its headers and its reason.
 */
class HostileInputIT {
    private static final String TOPIC = "hostile-readings";
    private static final String DEAD_LETTERS = "hostile-readings.dlq";
    private static final int PARTITIONS = 2;
    private static final int QUARTERS = 24;
    private static final long QUARTER = Duration.ofMinutes(15).toMillis();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** A record to produce, with the reason it must be dead-lettered for (null: valid). */
    private record Sent(int partition, String key, byte[] value, String expectedReason, RecordHeader header) {
    }

    @Test
    void hostileRecordsAreDeadLetteredOnceWhileEveryValidReadingIsBilledAndTheJobNeverRestarts() throws Exception {
        TestServices services = TestServices.shared();
        PostgresServer postgres = services.postgres();
        String database = "hostile_it";
        postgres.createDatabaseAndRoles(database);
        KafkaBroker kafka = services.kafka();
        kafka.createTopics(List.of(new KafkaBroker.TopicSpec(TOPIC, PARTITIONS, KafkaBroker.readingsTopicConfig(Duration.ofDays(1))),
                new KafkaBroker.TopicSpec(DEAD_LETTERS, PARTITIONS, KafkaBroker.deadLetterTopicConfig(Duration.ofDays(1)))));

        // Given four interval meters and one register meter, each a quarter-hour reading for six hours
        long base = ProRataSplit.bucketStart(Instant.now().minus(Duration.ofHours(8)).toEpochMilli());
        List<List<Sent>> perPartition = List.of(new ArrayList<>(), new ArrayList<>());
        Map<String, Long> expected = new HashMap<>();
        for (int quarter = 0; quarter < QUARTERS; quarter++) {
            for (int meter = 1; meter <= 4; meter++) {
                long energy = 1_000L * meter + quarter;
                String json = interval("H-" + meter, "q" + quarter, base + quarter * QUARTER, base + (quarter + 1) * QUARTER,
                        BigDecimal.valueOf(energy, 6).toPlainString());
                perPartition.get(meter % PARTITIONS).add(new Sent(meter % PARTITIONS, "H-" + meter, bytes(json), null, null));
                expected.put("H-" + meter + "@" + (base + quarter * QUARTER), energy);
            }
            String register = register("H-REG", "g" + quarter, base + quarter * QUARTER, BigDecimal.valueOf(1_000_000_000L + quarter * 100_000L, 6));
            perPartition.get(0).add(new Sent(0, "H-REG", bytes(register), null, null));
            if (quarter > 0) {
                expected.put("H-REG@" + (base + (quarter - 1) * QUARTER), 100_000L);
            }
            if (quarter == 5) {
                // a register that drops and comes back, faster than its 100 kW could climb: a glitch, neither billed as a
                // reset nor the reason to refuse every later value as an implausible advance
                perPartition.get(0).add(new Sent(0, "H-REG", bytes(register("H-REG", "drop", base + quarter * QUARTER + 300_000,
                        new BigDecimal("0.001"))), null, null));
            }
            if (quarter == QUARTERS / 2) {
                // and in the middle of both partitions, in front of valid readings, the hostile records
                for (int partition = 0; partition < PARTITIONS; partition++) {
                    perPartition.get(partition).addAll(hostile(partition, base));
                }
            }
        }
        List<Sent> sent = new ArrayList<>();
        perPartition.forEach(sent::addAll);
        Map<Long, Sent> hostileByOffset = produce(kafka, perPartition);
        assertThat(hostileByOffset).hasSize(hostile(0, base).size() + hostile(1, base).size());

        // and a record stamped far in the future, which would freeze its meter's clock, is refused by the broker itself
        assertThatThrownBy(() -> produceOne(kafka, new ProducerRecord<>(TOPIC, 0, Instant.now().plus(Duration.ofDays(30)).toEpochMilli(),
                bytes("H-1"), bytes(interval("H-1", "future", base, base + QUARTER, "1")))))
                .hasCauseInstanceOf(InvalidTimestampException.class);

        // When the job runs with restarts disabled
        PipelineConfig config = MiniClusterJobs.config(services, TOPIC, database).with(PipelineConfig.MAX_POWER_KW, "H-REG=100");
        Configuration flinkConfiguration = MeteringJob.flinkConfiguration();
        flinkConfiguration.set(RestartStrategyOptions.RESTART_STRATEGY, "disable");
        JobClient job = MiniClusterJobs.start(config, flinkConfiguration, readings -> readings, "hostile-input-it");
        try {
            // Then every valid reading is billed exactly, those behind the hostile records included
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(usageRows(postgres, database)).containsExactlyInAnyOrderEntriesOf(expected));

            // and each hostile record is in the dead-letter topic once, whole, with its own headers and its reason
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(TopicContents.readAll(kafka.bootstrapServers(), DEAD_LETTERS, Duration.ofSeconds(5))).hasSameSizeAs(hostileByOffset.keySet()));
            List<String> letters = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> letter : TopicContents.readAll(kafka.bootstrapServers(), DEAD_LETTERS, Duration.ofSeconds(5))) {
                int partition = Integer.parseInt(header(letter, DeadLetterSerializer.SOURCE_PARTITION));
                long offset = Long.parseLong(header(letter, DeadLetterSerializer.SOURCE_OFFSET));
                Sent original = hostileByOffset.get(partition * 1_000_000L + offset);
                assertThat(original).as("dead letter of %d@%d", partition, offset).isNotNull();
                assertThat(letter.value()).isEqualTo(original.value());
                if (original.header() != null) {
                    assertThat(letter.headers().lastHeader(original.header().key()).value()).isEqualTo(original.header().value());
                }
                letters.add(partition + "@" + offset + " " + header(letter, DeadLetterSerializer.REASON));
            }
            List<String> expectedLetters = hostileByOffset.entrySet().stream()
                    .map(entry -> entry.getKey() / 1_000_000L + "@" + entry.getKey() % 1_000_000L + " " + entry.getValue().expectedReason())
                    .toList();
            assertThat(letters).containsExactlyInAnyOrderElementsOf(expectedLetters);

            // and a reading older than the stream's time less the horizon is too late, though its meter is new and it
            // passes the parser (its own record is as old): the watermark reached the per-meter rules
            long tenDaysAgo = ProRataSplit.bucketStart(Instant.now().minus(Duration.ofDays(10)).toEpochMilli());
            produceOne(kafka, new ProducerRecord<>(TOPIC, 1, tenDaysAgo, bytes("H-OLD"),
                    bytes(interval("H-OLD", "old", tenDaysAgo - QUARTER, tenDaysAgo, "1"))));
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(TopicContents.readAll(kafka.bootstrapServers(), DEAD_LETTERS, Duration.ofSeconds(5)))
                            .filteredOn(letter -> new String(letter.value(), StandardCharsets.UTF_8).contains("H-OLD"))
                            .extracting(letter -> header(letter, DeadLetterSerializer.REASON)).containsExactly("too_late"));
            assertThat(usageRows(postgres, database)).containsExactlyInAnyOrderEntriesOf(expected);

            // and the job never failed
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
    }

    /** The hostile records of one partition: each threw out of the job, broke a rule silently or did not fit the dead-letter topic. */
    private static List<Sent> hostile(int partition, long base) {
        String meter = partition == 0 ? "H-2" : "H-1";
        long start = base + 40 * QUARTER;
        List<Sent> records = new ArrayList<>(List.of(
                hostileInterval(partition, meter, "1e9999999999", start, "number_out_of_range"),
                hostileInterval(partition, meter, "1e-2147483647", start, "too_precise"),
                hostileInterval(partition, meter, "1e2147483647", start, "number_out_of_range"),
                new Sent(partition, meter, bytes("{\"readingId\":\"x\",\"meterId\":\"" + meter + "\",\"kind\":\"interval\",\"start\":"
                        + "\"+1000000000-01-01T00:00:00Z\",\"end\":\"" + Instant.ofEpochMilli(start) + "\",\"kwh\":1}"), "time_out_of_range", null),
                new Sent(partition, meter, bytes("[".repeat(10_000)), "malformed_json", null),
                new Sent(partition, meter, new byte[] {(byte) 0xff, 0, 1, 2}, "malformed_json", new RecordHeader("gateway", bytes("gw-7"))),
                // as large as the readings topic takes (its limit less the batch's own bytes), plus a header of its own
                new Sent(partition, meter, largeRecord(1_048_400), "malformed_json", new RecordHeader("trace-id", bytes("t-1")))));
        if (partition == 0) {
            // 900,000 kWh within five minutes of a 100 kW meter: a glitch between two plausible register values
            records.add(new Sent(0, "H-REG", bytes(register("H-REG", "glitch", base + (QUARTERS / 2 - 1) * QUARTER + 300_000,
                    new BigDecimal("900000"))), "implausible_register", null));
        }
        return records;
    }

    private static Sent hostileInterval(int partition, String meter, String kwh, long start, String reason) {
        return new Sent(partition, meter, bytes("{\"readingId\":\"x-" + kwh + "\",\"meterId\":\"" + meter + "\",\"kind\":\"interval\","
                + "\"start\":\"" + Instant.ofEpochMilli(start) + "\",\"end\":\"" + Instant.ofEpochMilli(start + QUARTER) + "\",\"kwh\":" + kwh + "}"),
                reason, null);
    }

    private static byte[] largeRecord(int size) {
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'x');
        value[0] = '{';
        return value;
    }

    private static String interval(String meter, String id, long start, long end, String kwh) {
        return "{\"readingId\":\"" + id + "\",\"meterId\":\"" + meter + "\",\"kind\":\"interval\",\"start\":\"" + Instant.ofEpochMilli(start)
                + "\",\"end\":\"" + Instant.ofEpochMilli(end) + "\",\"kwh\":" + kwh + "}";
    }

    private static String register(String meter, String id, long timestamp, BigDecimal kwh) {
        return "{\"readingId\":\"" + id + "\",\"meterId\":\"" + meter + "\",\"kind\":\"register\",\"ts\":\"" + Instant.ofEpochMilli(timestamp)
                + "\",\"registerKwh\":" + kwh.toPlainString() + "}";
    }

    /** Produces in order per partition; returns the hostile records by partition * 1,000,000 + offset. */
    private static Map<Long, Sent> produce(KafkaBroker kafka, List<List<Sent>> perPartition) throws Exception {
        Map<Long, Sent> hostile = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
            for (List<Sent> records : perPartition) {
                for (Sent record : records) {
                    ProducerRecord<byte[], byte[]> kafkaRecord = new ProducerRecord<>(TOPIC, record.partition(), bytes(record.key()), record.value());
                    if (record.header() != null) {
                        kafkaRecord.headers().add(record.header());
                    }
                    long offset = producer.send(kafkaRecord).get().offset();
                    if (record.expectedReason() != null) {
                        hostile.put(record.partition() * 1_000_000L + offset, record);
                    }
                }
            }
        }
        return hostile;
    }

    private static void produceOne(KafkaBroker kafka, ProducerRecord<byte[], byte[]> record) throws ExecutionException, InterruptedException {
        try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
            producer.send(record).get();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(KafkaBroker kafka) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Map<String, Long> usageRows(PostgresServer postgres, String database) throws Exception {
        Map<String, Long> rows = new HashMap<>();
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT meter_id, bucket_start, energy_mwh FROM usage_15m")) {
            while (result.next()) {
                rows.put(result.getString(1) + "@" + result.getTimestamp(2).toInstant().toEpochMilli(), result.getLong(3));
            }
        }
        return rows;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
