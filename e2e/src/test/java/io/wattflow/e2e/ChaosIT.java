package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.loadgen.ReadingGenerator;
import io.wattflow.stack.testing.TopicContents;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's guarantees on the real standalone cluster: while faulty readings (duplicates, disorder, late
 * arrivals, garbage, register resets) stream in, TaskManagers are killed three times and QuestDB is away for over a
 * minute (one kill falls inside the outage); then the job is stopped with a savepoint and resumed, and finally restored from an older savepoint.
 * PostgreSQL must equal the expected totals bucket by bucket, the dead-letter topic must hold exactly the invalid
 * records, and QuestDB must equal PostgreSQL.
 */
class ChaosIT {
    private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");

    @Test
    void exactBillingThroughTaskManagerKillsAnInfluxDbOutageAndSavepointCycles() throws Exception {
        try (E2eStack stack = new E2eStack()) {
            stack.ok("up");
            stack.ok("submit");
            Map<String, String> env = stack.env();

            // Given 40 interval meters and 10 register meters, 5-minute readings at 300 records/s for about 150 s
            GeneratorSettings phaseA = GeneratorSettings.endingBefore(Instant.now(), 40, 900, 5, 21)
                    .withFaults(0.03, 0.05, 0.01, 0.01)
                    .withRegisterMeters(10, 0.02);
            CompletableFuture<LoadGenerator.Summary> producing = CompletableFuture.supplyAsync(() ->
                    LoadGenerator.produce(new LoadGenerator.Options(env.get("KAFKA_BOOTSTRAP"), "readings", phaseA, 300)));
            long started = System.nanoTime();

            // When TaskManagers are killed three times, once while QuestDB is away for more than a minute
            at(started, 15);
            killTaskManagerAndRecover(stack, 1, true);
            at(started, 40);
            killTaskManagerAndRecover(stack, 2, true);
            at(started, 50);
            stack.kill("questdb");
            long billedAtOutageStart = billedTotal(stack);
            at(started, 80);
            // During the outage, with no replacement: the job moves to the other TaskManager's two slots, and the
            // InfluxDB points still pending come along in the checkpoint.
            killTaskManagerAndRecover(stack, 1, false);
            at(started, 115);
            // Then billing advances during the outage (waited for, not timed: on a busy machine the recovered job may
            // need longer than the window for its first checkpoint)
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(billedTotal(stack)).isGreaterThan(billedAtOutageStart));
            stack.ok("up"); // brings QuestDB and the TaskManager back
            LoadGenerator.Summary produced = producing.get();

            // and every bucket is exact
            Map<String, Long> expected = expectedBuckets(phaseA);
            awaitUsage(stack, expected);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(deadLetters(env.get("KAFKA_BOOTSTRAP"))).isEqualTo(produced.malformed()));
            awaitStoresAgree(stack);
            printStateSize(stack, phaseA);

            // When the job is stopped with a savepoint and resumed, and more readings arrive (an earlier day)
            String older = stopWithSavepoint(stack);
            stack.ok("submit", "--from-savepoint", older);
            GeneratorSettings phaseB = new GeneratorSettings(40, 100, 15, 22, phaseA.start().minus(Duration.ofDays(2)), 0.05, 0.05, 0, 0);
            LoadGenerator.produce(new LoadGenerator.Options(env.get("KAFKA_BOOTSTRAP"), "readings", phaseB, 5_000));
            Map<String, Long> both = new HashMap<>(expected);
            both.putAll(expectedBuckets(phaseB));
            awaitUsage(stack, both);

            // and when the job is restored from the older savepoint, it replays phase B and converges to the same totals
            stopWithSavepoint(stack);
            stack.ok("submit", "--from-savepoint", older);
            awaitUsage(stack, both);
            awaitStoresAgree(stack);
            assertThat(deadLetters(env.get("KAFKA_BOOTSTRAP"))).isEqualTo(produced.malformed());
        }
    }

    private static void at(long startedNanos, int second) throws InterruptedException {
        long wait = startedNanos + Duration.ofSeconds(second).toNanos() - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000);
        }
    }

    /**
     * kill -9, then (when {@code replace}) {@code bin/wattflow up}; prints how long the job took to run again on all its
     * tasks.
     */
    private static void killTaskManagerAndRecover(E2eStack stack, int index, boolean replace) throws Exception {
        long killed = System.nanoTime();
        stack.kill("flink-taskmanager-" + index);
        if (replace) {
            stack.ok("up");
        }
        String rest = stack.env().get("FLINK_REST_URL");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> allTasksRunning(rest));
        System.out.printf("recovery after kill -9 of TaskManager %d (%s): job running on all tasks after %.1f s%n", index,
                replace ? "replaced by bin/wattflow up" : "not replaced", (System.nanoTime() - killed) / 1e9);
    }

    private static boolean allTasksRunning(String rest) throws Exception {
        JsonNode jobs = E2eStack.getJson(rest + "/jobs/overview", null).get("jobs");
        for (JsonNode job : jobs) {
            if (job.get("name").asText().equals("wattflow-metering") && job.get("state").asText().equals("RUNNING")) {
                JsonNode tasks = job.get("tasks");
                return tasks.get("running").asInt() == tasks.get("total").asInt();
            }
        }
        return false;
    }

    /** The full size of the latest checkpoint per meter (a figure for docs/pipeline.md, not an assertion). */
    private static void printStateSize(E2eStack stack, GeneratorSettings settings) throws Exception {
        String rest = stack.env().get("FLINK_REST_URL");
        await().atMost(Duration.ofMinutes(1)).until(() -> runningJob(rest) != null);
        JsonNode latest = E2eStack.getJson(rest + "/jobs/" + runningJob(rest) + "/checkpoints", null).get("latest").get("completed");
        long stateSize = latest.get("state_size").asLong();
        System.out.printf("state after %s of readings from %d meters: %d bytes, %d bytes per meter%n",
                Duration.between(settings.start(), settings.end()), settings.allMeters(), stateSize, stateSize / settings.allMeters());
    }

    private static String runningJob(String rest) throws Exception {
        for (JsonNode job : E2eStack.getJson(rest + "/jobs/overview", null).get("jobs")) {
            if (job.get("state").asText().equals("RUNNING")) {
                return job.get("jid").asText();
            }
        }
        return null;
    }

    private static String stopWithSavepoint(E2eStack stack) throws Exception {
        String jobId = runningJob(stack.env().get("FLINK_REST_URL"));
        assertThat(jobId).isNotNull();
        String output = stack.ok("flink", "stop", "--savepointPath", stack.home.resolve("flink/savepoints").toString(), jobId);
        Matcher savepoint = SAVEPOINT.matcher(output);
        assertThat(savepoint.find()).as(output).isTrue();
        assertThat(Files.exists(Path.of(URI.create(savepoint.group(1))))).isTrue();
        return savepoint.group(1);
    }

    /** Independent of the pipeline: every billed interval or register span lies inside one 15-minute bucket. */
    private static Map<String, Long> expectedBuckets(GeneratorSettings settings) {
        Map<String, Long> expected = new HashMap<>();
        for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(settings)) {
            long bucket = Math.floorDiv(reading.start().getEpochSecond(), 900) * 900;
            expected.merge(reading.meterId() + "@" + Instant.ofEpochSecond(bucket), reading.energyMilliWattHours(), Long::sum);
        }
        return expected;
    }

    private static void awaitUsage(E2eStack stack, Map<String, Long> expected) {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(usage(stack)).containsExactlyInAnyOrderEntriesOf(expected));
    }

    private static void awaitStoresAgree(E2eStack stack) {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(stack.wattflow("check").output()).contains("PostgreSQL and QuestDB agree"));
    }

    private static Map<String, Long> usage(E2eStack stack) throws Exception {
        Map<String, Long> rows = new HashMap<>();
        try (Connection connection = stack.database(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT meter_id, bucket_start, energy_mwh FROM usage_15m")) {
            while (result.next()) {
                rows.put(result.getString(1) + "@" + result.getTimestamp(2).toInstant(), result.getLong(3));
            }
        }
        return rows;
    }

    private static long billedTotal(E2eStack stack) throws Exception {
        try (Connection connection = stack.database(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT coalesce(sum(energy_mwh), 0) FROM usage_15m")) {
            result.next();
            return result.getLong(1);
        }
    }

    private static long deadLetters(String bootstrap) {
        return TopicContents.readAll(bootstrap, "readings.dlq", Duration.ofSeconds(20)).size();
    }
}
