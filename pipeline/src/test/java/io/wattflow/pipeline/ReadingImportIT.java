package io.wattflow.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wattflow.loadgen.importing.ReadingImport;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import io.wattflow.stack.testing.TopicContents;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/wattflow import}: a NEM12 file and a CSV file into a real Kafka broker, read by the metering job on a
 * MiniCluster into PostgreSQL. Every value is billed exactly, bad rows are reported with their lines, and importing
 * the files again bills nothing twice.
 */
class ReadingImportIT {
    private static final String TOPIC = "import-readings";
    private static final ZoneOffset NEM_TIME = ZoneOffset.ofHours(10);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path folder;

    @Test
    void importedFilesAreBilledExactlyOnceAndBadRowsAreReportedWithTheirLines() throws Exception {
        TestServices services = TestServices.shared();
        PostgresServer postgres = services.postgres();
        String database = "import_it";
        postgres.createDatabaseAndRoles(database);
        KafkaBroker kafka = services.kafka();
        kafka.createTopics(List.of(new KafkaBroker.TopicSpec(TOPIC, 2, KafkaBroker.readingsTopicConfig(Duration.ofDays(1))),
                new KafkaBroker.TopicSpec(TOPIC + ".dlq", 2, KafkaBroker.deadLetterTopicConfig(Duration.ofDays(1)))));

        // Given a NEM12 file of the last two whole days in NEM time: consumption every 30 minutes, interval i of the first
        // day i Wh (actual); the second day 0.5 kWh each, its first 24 intervals actual, the rest null (no data); and
        // generation in Wh, substituted
        LocalDate today = LocalDate.now(NEM_TIME);
        String first = today.minusDays(2).format(DateTimeFormatter.BASIC_ISO_DATE);
        String second = today.minusDays(1).format(DateTimeFormatter.BASIC_ISO_DATE);
        String rising = IntStream.rangeClosed(1, 48).mapToObj(i -> String.format("0.%03d", i)).collect(Collectors.joining(","));
        Path nem12 = Files.writeString(folder.resolve("meters.nem12.csv"), String.join("\n",
                "100,NEM12,202611300000,MDA1,Ret1",
                "200,IMP0000001,E1B1,1,E1,N1,M1,kWh,30,",
                "300," + first + "," + rising + ",A,,,,",
                "300," + second + "," + String.join(",", Collections.nCopies(48, "0.5")) + ",V,,,,",
                "400,1,24,A,,",
                "400,25,48,N,,",
                "200,IMP0000001,E1B1,2,B1,N2,M1,Wh,30,",
                "300," + first + "," + String.join(",", Collections.nCopies(48, "250")) + ",S53,,,,",
                "200,IMP0000002,Q1,1,Q1,N1,M2,kVArh,30,",
                "900"));
        // and a CSV file: four quarter hours of 1.5 kWh, two register values 2.25 kWh apart, and a row with a typo
        String start = today.minusDays(1).atStartOfDay(NEM_TIME).toInstant().toString();
        Path csv = Files.writeString(folder.resolve("meters.csv"), String.join("\n",
                "meterId,kind,start,end,kwh,ts,registerKwh",
                quarter("CSV-1", start, 0), quarter("CSV-1", start, 1), quarter("CSV-1", start, 2), quarter("CSV-1", start, 3),
                "CSV-2,register,,,," + start + ",10000",
                "CSV-2,register,,,," + Instant.parse(start).plus(Duration.ofHours(1)) + ",10002.250",
                "CSV-3,interval," + start + ",,1,,",
                ""));
        Map<String, Long> expected = Map.of(
                "IMP0000001/import", 1_176_000L + 24 * 500_000L, // 1+2+...+48 Wh, then 24 x 0.5 kWh, in milli-Wh
                "IMP0000001/export", 48 * 250_000L,
                "CSV-1/import", 4 * 1_500_000L,
                "CSV-2/import", 2_250_000L);

        // When both are imported
        ByteArrayOutputStream problems = new ByteArrayOutputStream();
        ReadingImport.Summary fromNem12 = ReadingImport.importFile(nem12, kafka.bootstrapServers(), TOPIC, print(problems));
        ReadingImport.Summary fromCsv = ReadingImport.importFile(csv, kafka.bootstrapServers(), TOPIC, print(problems));

        // Then the good rows are in Kafka, the bad ones listed with their lines
        assertThat(fromNem12).isEqualTo(new ReadingImport.Summary("NEM12", 48 + 24 + 48, 1, 24));
        assertThat(fromCsv).isEqualTo(new ReadingImport.Summary("CSV", 6, 1, 0));
        assertThat(problems.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
                nem12 + ":9: NMI suffix 'Q1' is not an energy channel Wattflow bills (E consumption, B generation)",
                csv + ":8: end is required");

        // and the job bills every value exactly, rejecting none
        PipelineConfig config = MiniClusterJobs.config(services, TOPIC, database);
        JobClient job = MiniClusterJobs.start(config, MeteringJob.flinkConfiguration(), readings -> readings, "import-it");
        try {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(totals(postgres, database)).isEqualTo(new TreeMap<>(expected)));
            assertThat(buckets(postgres, database, "IMP0000001", "import")).isEqualTo(48 * 2 + 24 * 2);

            // When the same files are imported again
            ReadingImport.importFile(nem12, kafka.bootstrapServers(), TOPIC, print(new ByteArrayOutputStream()));
            ReadingImport.importFile(csv, kafka.bootstrapServers(), TOPIC, print(new ByteArrayOutputStream()));

            // Then once the job has read and checkpointed all of it, nothing is billed twice
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(lag(kafka.bootstrapServers(), TOPIC + "-metering")).isZero());
            assertThat(totals(postgres, database)).isEqualTo(new TreeMap<>(expected));
            assertThat(TopicContents.readAll(kafka.bootstrapServers(), TOPIC + ".dlq", Duration.ofSeconds(5))).isEmpty();
        } finally {
            job.cancel().get();
        }
    }

    private static String quarter(String meter, String dayStart, int quarter) {
        Instant start = Instant.parse(dayStart).plus(Duration.ofMinutes(15L * quarter));
        return meter + ",interval," + start + "," + start.plus(Duration.ofMinutes(15)) + ",1.5,,";
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static Map<String, Long> totals(PostgresServer postgres, String database) throws Exception {
        Map<String, Long> totals = new TreeMap<>();
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT meter_id, channel, sum(energy_mwh) FROM usage_15m GROUP BY meter_id, channel")) {
            while (rows.next()) {
                totals.put(rows.getString(1) + "/" + rows.getString(2), rows.getLong(3));
            }
        }
        return totals;
    }

    private static long buckets(PostgresServer postgres, String database, String meter, String channel) throws Exception {
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM usage_15m WHERE meter_id = '" + meter + "' AND channel = '"
                     + channel + "'")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Records of the topic not yet covered by the group's committed offsets (the job commits them at each checkpoint). */
    private static long lag(String bootstrap, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            List<TopicPartition> partitions = new ArrayList<>(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
            Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(partition -> partition, partition -> OffsetSpec.latest()));
            long lag = 0;
            for (var end : admin.listOffsets(latest).all().get().entrySet()) {
                OffsetAndMetadata done = committed.get(end.getKey());
                lag += end.getValue().offset() - (done == null ? 0 : done.offset());
            }
            return lag;
        }
    }
}
