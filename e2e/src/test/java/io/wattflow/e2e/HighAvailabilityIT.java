package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.client.WattflowClient;
import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.ReadingGenerator;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/wattflow up --ha}, driven as a user would: three Kafka nodes, every topic on all three with
 * min.insync.replicas 2; the node leading a partition of {@code readings} is killed between two batches of readings, then
 * the ZooKeeper leader and the leading JobManager before a third, and every reading of all three is billed exactly once,
 * the standby JobManager resuming the job from its latest checkpoint; an API instance dies under GETs through NGINX;
 * {@code up} brings everything back.
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
        JsonNode components = E2eStack.JSON.readTree(stack.ok("status", "--json")).get("components");
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
        // Three batches one after the other in record time (150 readings of 15 minutes per meter each, 112.5 hours in
        // all), within the horizon and ending before now (readings from the future are rejected)
        Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofDays(5));
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
        JsonNode before = E2eStack.JSON.readTree(stack.ok("status", "--json")).get("components");
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
        JsonNode after = E2eStack.JSON.readTree(stack.ok("status", "--json")).get("components");
        assertThat(named(after, "flink-jobmanager", "leader")).isEqualTo(standbyJobManager);
        String restUrl = stack.env().get("FLINK_REST_URL");
        JsonNode resumed = E2eStack.getJson(restUrl + "/jobs/overview", null).get("jobs");
        assertThat(resumed).hasSize(1);
        assertThat(resumed.get(0).get("jid").asText()).isEqualTo(job.get("jid").asText());
        assertThat(resumed.get(0).get("state").asText()).isEqualTo("RUNNING");
        assertThat(Files.readString(stack.home.resolve("logs/" + standbyJobManager + ".log")))
                .containsPattern("Restoring job " + job.get("jid").asText() + " from Checkpoint \\d+");

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

        // up brings the dead Kafka, ZooKeeper and API processes and the JobManager back; the JobManager as the standby
        assertThat(stack.ok("up")).contains("Kafka (3 nodes): starting", "ZooKeeper (3 nodes): starting",
                "Flink (2 JobManagers, 2 TaskManagers): starting", "billing API (2 instances behind NGINX): starting");
        assertThat(stack.ok("status")).containsPattern("kafka-" + leader + "\\s+running").containsPattern("billing-api-1\\s+running");
        JsonNode restored = E2eStack.JSON.readTree(stack.ok("status", "--json")).get("components");
        assertThat(roles(restored, "zookeeper")).containsExactlyInAnyOrder("leader", "follower", "follower");
        assertThat(named(restored, "flink-jobmanager", "standby")).isEqualTo(leadingJobManager);
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
