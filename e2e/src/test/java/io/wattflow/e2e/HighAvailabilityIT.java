package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.client.WattflowClient;
import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.ReadingGenerator;
import io.wattflow.stack.testing.TopicContents;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/wattflow up --ha}, driven as a user would: three Kafka nodes, every topic on all three with
 * min.insync.replicas 2; the node leading a partition of {@code readings} is killed between two batches of readings, then
 * the ZooKeeper leader and the leading JobManager before a third, then the PostgreSQL primary's node before a fourth,
 * and every reading of all four is billed exactly once, the standby JobManager resuming the job from its latest
 * checkpoint and the job resuming from a checkpoint taken before the database failed over; an API instance dies under
 * GETs through NGINX; {@code up} brings everything back; the instance running a billing run started through NGINX dies
 * and the other one finishes the run, every invoice issued once with gap-free numbers.
 */
class HighAvailabilityIT {
    private static E2eStack stack;

    @BeforeAll
    static void highlyAvailableStackOnFreePorts() throws Exception {
        stack = new E2eStack(true);
    }

    @AfterAll
    static void stopEverythingAndLeaveNothing() throws Exception {
        stack.close();
    }

    private static Admin admin(Map<String, String> env) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, env.get("KAFKA_BOOTSTRAP"));
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(properties);
    }

    private static void assertThreeReplicas(Admin admin, List<String> topics) throws Exception {
        for (TopicDescription topic : admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
            assertThat(topic.partitions()).as(topic.name()).allSatisfy(partition -> assertThat(partition.replicas()).hasSize(3));
        }
    }

    private static BigDecimal expectedTotal(List<GeneratorSettings> batches, String meter) {
        long total = 0;
        for (GeneratorSettings batch : batches) {
            for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(batch)) {
                if (reading.meterId().equals(meter)) {
                    total += reading.energyMilliWattHours();
                }
            }
        }
        return BigDecimal.valueOf(total, 6);
    }

    private static GeneratorSettings produce(int seed, Instant start) throws Exception {
        String produced = stack.ok("produce", "--meters", "10", "--rate", "500", "--duration", "3s", "--seed", Integer.toString(seed),
                "--start", start.toString());
        assertThat(produced).contains("produced 1500 records");
        return new GeneratorSettings(10, 150, 15, seed, start, 0, 0, 0, 0);
    }

    @Test
    void theKafkaNodeLeadingReadingsDiesBetweenTwoBatchesAndEveryReadingIsBilledOnce() throws Exception {
        String up = stack.ok("up", "--ha");
        assertThat(up).contains("Kafka (3 nodes): starting");
        Map<String, String> env = stack.env();
        assertThat(env.get("KAFKA_BOOTSTRAP").split(",")).hasSize(3);

        // status --json: three Kafka nodes, one of them the active controller
        JsonNode components = stack.components();
        List<String> kafkaRoles = new ArrayList<>();
        components.forEach(component -> {
            if (component.get("kind").asText().equals("kafka")) {
                assertThat(component.get("running").asBoolean()).isTrue();
                kafkaRoles.add(component.get("role").asText("-"));
            }
        });
        assertThat(kafkaRoles).hasSize(3).containsOnlyOnce("controller");
        // three ZooKeeper nodes, one leading; two JobManagers, one leading
        assertThat(roles(components, "zookeeper")).containsExactlyInAnyOrder("leader", "follower", "follower");
        assertThat(roles(components, "flink-jobmanager")).containsExactlyInAnyOrder("leader", "standby");
        // two API instances behind NGINX, which is where WATTFLOW_API_URL points
        List<String> apiKinds = new ArrayList<>();
        List<Integer> loadBalancerPorts = new ArrayList<>();
        components.forEach(component -> {
            String kind = component.get("kind").asText();
            if (kind.equals("billing-api") || kind.equals("load-balancer")) {
                assertThat(component.get("running").asBoolean()).isTrue();
                apiKinds.add(kind);
            }
            if (kind.equals("load-balancer")) {
                loadBalancerPorts.add(component.get("port").asInt());
            }
        });
        assertThat(apiKinds).containsExactlyInAnyOrder("billing-api", "billing-api", "load-balancer");
        assertThat(env.get("WATTFLOW_API_URL")).isEqualTo("http://127.0.0.1:" + loadBalancerPorts.get(0));

        int leader;
        try (Admin admin = admin(env)) {
            assertThreeReplicas(admin, List.of("readings", "readings.dlq", "billing.events"));
            Config readings = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "readings")))
                    .all().get(30, TimeUnit.SECONDS).values().iterator().next();
            assertThat(readings.get("min.insync.replicas").value()).isEqualTo("2");
            assertThat(readings.get("unclean.leader.election.enable").value()).isEqualTo("false");
            leader = admin.describeTopics(List.of("readings")).allTopicNames().get(30, TimeUnit.SECONDS).get("readings")
                    .partitions().get(0).leader().id();
        }

        stack.ok("submit");
        // Four batches one after the other in record time (150 readings of 15 minutes per meter each, 150 hours in
        // all), within the horizon and ending before now (readings from the future are rejected)
        Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(156));
        GeneratorSettings first = produce(21, start);

        stack.kill("kafka-" + leader);
        GeneratorSettings second = produce(22, first.end());

        WattflowClient api = WattflowClient.builder(URI.create(env.get("WATTFLOW_API_URL"))).token(env.get("WATTFLOW_ADMIN_TOKEN")).build();
        for (String meter : List.of("MTR-0001", "MTR-0005", "MTR-0010")) {
            BigDecimal expected = expectedTotal(List.of(first, second), meter);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(api.call(() -> api.usage().getMeterUsage(meter, first.start().toString(), second.end().toString(), "15m",
                            null, null)).getTotalKwh()).isEqualByComparingTo(expected));
        }
        JsonNode job = E2eStack.getJson(env.get("FLINK_REST_URL") + "/jobs/overview", null).get("jobs").get(0);
        assertThat(job.get("state").asText()).isEqualTo("RUNNING");

        // The ZooKeeper leader and then the leading JobManager die: the standby is elected by the two ZooKeeper nodes
        // left and resumes the job from its latest checkpoint, without a savepoint and without a person
        JsonNode before = stack.components();
        stack.kill(named(before, "zookeeper", "leader"));
        String leadingJobManager = named(before, "flink-jobmanager", "leader");
        String standbyJobManager = named(before, "flink-jobmanager", "standby");
        stack.kill(leadingJobManager);
        GeneratorSettings third = produce(23, second.end());
        for (String meter : List.of("MTR-0001", "MTR-0005", "MTR-0010")) {
            BigDecimal expected = expectedTotal(List.of(first, second, third), meter);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(api.call(() -> api.usage().getMeterUsage(meter, first.start().toString(), third.end().toString(), "15m",
                            null, null)).getTotalKwh()).isEqualByComparingTo(expected));
        }
        JsonNode after = stack.components();
        assertThat(named(after, "flink-jobmanager", "leader")).isEqualTo(standbyJobManager);
        String restUrl = stack.env().get("FLINK_REST_URL");
        JsonNode resumed = E2eStack.getJson(restUrl + "/jobs/overview", null).get("jobs");
        assertThat(resumed).hasSize(1);
        assertThat(resumed.get(0).get("jid").asText()).isEqualTo(job.get("jid").asText());
        assertThat(resumed.get(0).get("state").asText()).isEqualTo("RUNNING");
        String restoring = "Restoring job " + job.get("jid").asText() + " from Checkpoint";
        assertThat(Files.readString(stack.home.resolve("logs/" + standbyJobManager + ".log"))).contains(restoring);

        // A savepoint of the running job, taken before the database fails over
        String jobId = job.get("jid").asText();
        String snapshot = output(stack.ok("flink", "savepoint", jobId, stack.home.resolve("flink/savepoints").toUri().toString()),
                "Savepoint completed. Path: (\\S+)");

        // The PostgreSQL primary's node dies, Patroni and PostgreSQL at once: the other Patroni takes the leader lock and
        // promotes its synchronous standby; the job's writes fail meanwhile and reconnect through the multi-host URL to
        // the new primary
        String primary = named(after, "postgres", "primary");
        String replica = named(after, "postgres", "replica");
        stack.killPostgresNode(primary);
        GeneratorSettings fourth = produce(24, third.end());
        for (String meter : List.of("MTR-0001", "MTR-0005", "MTR-0010")) {
            BigDecimal expected = expectedTotal(List.of(first, second, third, fourth), meter);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(api.call(() -> api.usage().getMeterUsage(meter, first.start().toString(), fourth.end().toString(), "15m",
                            null, null)).getTotalKwh()).isEqualByComparingTo(expected));
        }
        assertThat(named(stack.components(), "postgres", "primary")).isEqualTo(replica);
        assertThat(stack.ok("status")).containsPattern("flink-taskmanager-1\\s+running").containsPattern("flink-taskmanager-2\\s+running");

        // The job restored from the snapshot taken before the failover rewrites the fourth batch, whose rows are gone,
        // on the new primary: exactly the same totals
        stack.ok("flink", "cancel", jobId);
        try (Connection db = stack.database(); PreparedStatement sql = db.prepareStatement("DELETE FROM usage_15m WHERE bucket_start >= ?")) {
            sql.setTimestamp(1, java.sql.Timestamp.from(fourth.start()));
            assertThat(sql.executeUpdate()).as("rows of the fourth batch").isPositive();
        }
        stack.ok("submit", "--from-savepoint", snapshot);
        for (String meter : List.of("MTR-0001", "MTR-0005", "MTR-0010")) {
            BigDecimal expected = expectedTotal(List.of(first, second, third, fourth), meter);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(api.call(() -> api.usage().getMeterUsage(meter, first.start().toString(), fourth.end().toString(), "15m",
                            null, null)).getTotalKwh()).isEqualByComparingTo(expected));
        }

        // One API instance dies while GETs go through NGINX: every one of them is answered 200
        HttpClient http = HttpClient.newHttpClient();
        URI usage = URI.create(env.get("WATTFLOW_API_URL") + "/api/v1/meters/MTR-0001/usage?from=" + first.start() + "&to=" + second.end()
                + "&granularity=15m");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            if (i == 50) {
                stack.kill("billing-api-1");
            }
            statuses.add(http.send(HttpRequest.newBuilder(usage).header("Authorization", "Bearer " + env.get("WATTFLOW_ADMIN_TOKEN"))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        }
        assertThat(statuses).as("statuses of the GETs through NGINX").hasSize(200).containsOnly(200);

        // Kafka's own topics, made once the job committed offsets and transactions, are replicated three times too
        try (Admin admin = admin(env)) {
            assertThreeReplicas(admin, List.of("__consumer_offsets", "__transaction_state"));
        }

        // up brings every dead process back: the JobManager as the standby, the old PostgreSQL primary as the replica
        assertThat(stack.ok("up")).contains("ZooKeeper (3 nodes): starting", "PostgreSQL (primary and synchronous standby, Patroni): starting",
                "Kafka (3 nodes): starting", "Flink (2 JobManagers, 2 TaskManagers): starting",
                "billing API (2 instances behind NGINX): starting");
        assertThat(stack.ok("status")).containsPattern("kafka-" + leader + "\\s+running").containsPattern("billing-api-1\\s+running");
        JsonNode restored = stack.components();
        assertThat(roles(restored, "zookeeper")).containsExactlyInAnyOrder("leader", "follower", "follower");
        assertThat(named(restored, "flink-jobmanager", "standby")).isEqualTo(leadingJobManager);
        assertThat(named(restored, "postgres", "replica")).isEqualTo(primary);

        aBillingRunStartedThroughNginxSurvivesTheInstanceRunningIt(env);
    }

    /**
     * 1,500 customers, each with four hours of usage at the end of October; the run is started through NGINX, the
     * instance holding its lease is killed, and the other instance takes the run over when the lease expires.
     */
    private void aBillingRunStartedThroughNginxSurvivesTheInstanceRunningIt(Map<String, String> env) throws Exception {
        int customers = 1500;
        try (Connection db = stack.database(); Statement sql = db.createStatement()) {
            sql.execute("INSERT INTO customer (id, name, timezone) SELECT 'HA-' || c, 'Customer ' || c, 'UTC' FROM generate_series(1, "
                    + customers + ") c");
            sql.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) SELECT 'HA-' || c, '2026-01-01', 'standard' "
                    + "FROM generate_series(1, " + customers + ") c");
            sql.execute("INSERT INTO meter_assignment (meter_id, valid_from, customer_id) SELECT 'HA-M-' || c, '2026-10-31T20:00:00Z', "
                    + "'HA-' || c FROM generate_series(1, " + customers + ") c");
            sql.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) SELECT 'HA-M-' || c, 'import', "
                    + "ts, 1000 + c, 1 FROM generate_series(1, " + customers + ") c, generate_series('2026-10-31 20:00:00+00'::timestamptz, "
                    + "'2026-10-31 23:45:00+00', interval '15 minutes') ts");
        }
        HttpClient http = HttpClient.newHttpClient();
        String token = env.get("WATTFLOW_ADMIN_TOKEN");
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(env.get("WATTFLOW_API_URL") + "/api/v1/billing-runs"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Idempotency-Key", "ha-billing-run-2026-10")
                .POST(HttpRequest.BodyPublishers.ofString("{\"period\":\"2026-10\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String runId = E2eStack.JSON.readTree(started.body()).get("id").asText();

        String owner = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> leaseOwner(runId),
                leaseOwner -> leaseOwner != null);
        assertThat(invoiceCount()).as("invoices issued when the instance dies").isLessThan(customers);
        stack.kill(owner);

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(E2eStack.getJson(env.get("WATTFLOW_API_URL") + "/api/v1/billing-runs/" + runId, token).get("status").asText())
                        .isEqualTo("completed"));
        List<String> numbers = new ArrayList<>();
        List<String> expectedNumbers = new ArrayList<>();
        try (Connection db = stack.database(); Statement sql = db.createStatement();
             ResultSet invoices = sql.executeQuery("SELECT series, number FROM invoice ORDER BY series, number")) {
            while (invoices.next()) {
                numbers.add(String.format("%s-%06d", invoices.getString(1), invoices.getLong(2)));
            }
        }
        for (int n = 1; n <= customers; n++) {
            expectedNumbers.add(String.format("INV-%06d", n));
        }
        assertThat(numbers).as("each customer invoiced once, numbers without gaps").containsExactlyElementsOf(expectedNumbers);
        // every invoice announced on billing.events under one event id (the relay may publish an event twice when an
        // instance dies between sending and marking it sent; consumers dedupe on the event id)
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            Map<String, Set<String>> eventIdsByInvoice = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> event : TopicContents.readAll(env.get("KAFKA_BOOTSTRAP"), "billing.events", Duration.ofSeconds(10))) {
                JsonNode body = E2eStack.JSON.readTree(event.value());
                if (body.path("type").asText().equals("invoice.issued")) {
                    eventIdsByInvoice.computeIfAbsent(body.path("number").asText(), number -> new HashSet<>()).add(body.path("eventId").asText());
                }
            }
            assertThat(eventIdsByInvoice.keySet()).containsExactlyInAnyOrderElementsOf(expectedNumbers);
            assertThat(eventIdsByInvoice.values()).allSatisfy(eventIds -> assertThat(eventIds).hasSize(1));
        });
        assertThat(stack.ok("up")).contains("billing API (2 instances behind NGINX): starting");
    }

    private String leaseOwner(String runId) throws Exception {
        try (Connection db = stack.database(); PreparedStatement sql = db.prepareStatement("SELECT lease_owner FROM billing_run WHERE id = ?::uuid")) {
            sql.setString(1, runId);
            try (ResultSet row = sql.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    private int invoiceCount() throws Exception {
        try (Connection db = stack.database(); Statement sql = db.createStatement(); ResultSet count = sql.executeQuery("SELECT count(*) FROM invoice")) {
            count.next();
            return count.getInt(1);
        }
    }

    /** The first group of {@code pattern} in a command's output. */
    private static String output(String output, String pattern) {
        Matcher matcher = Pattern.compile(pattern).matcher(output);
        assertThat(matcher.find()).as(output).isTrue();
        return matcher.group(1);
    }

    /** The roles of the running components of one kind ("-" for none). */
    private static List<String> roles(JsonNode components, String kind) {
        List<String> roles = new ArrayList<>();
        components.forEach(component -> {
            if (component.get("kind").asText().equals(kind)) {
                assertThat(component.get("running").asBoolean()).as(component.get("name").asText()).isTrue();
                roles.add(component.get("role").asText("-"));
            }
        });
        return roles;
    }

    /** The name of the one component of this kind in this role. */
    private static String named(JsonNode components, String kind, String role) {
        List<String> names = new ArrayList<>();
        components.forEach(component -> {
            if (component.get("kind").asText().equals(kind) && component.get("role").asText("-").equals(role)) {
                names.add(component.get("name").asText());
            }
        });
        assertThat(names).as(kind + " in role " + role).hasSize(1);
        return names.get(0);
    }
}
