package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.client.WattflowClient;
import io.wattflow.loadgen.GeneratorSettings;
import io.wattflow.loadgen.ReadingGenerator;
import io.wattflow.stack.testing.MonitoringRules;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end on the real local stack, driven only through bin/wattflow as a user would: demo, curl the API, kill a
 * TaskManager, bring it back with {@code up}, produce more, and compare exact totals. Runs in its own WATTFLOW_HOME
 * on free ports, so a demo stack on the default ports is left alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherIT {
    private static E2eStack stack;
    private static Instant demoStart;
    private static AlertWebhook alerts;

    @BeforeAll
    static void freshHomeOnFreePorts() throws IOException {
        stack = new E2eStack();
        alerts = AlertWebhook.start();
        stack.environment.put("WATTFLOW_ALERT_WEBHOOK_URL", alerts.url());
    }

    @AfterAll
    static void stopEverythingAndLeaveNothing() throws Exception {
        try {
            stack.close();
        } finally {
            alerts.close();
        }
    }

    private static E2eStack.Result wattflow(Map<String, String> env, String... args) throws Exception {
        return stack.wattflow(env, args);
    }

    private static Map<String, String> stackEnv() throws Exception {
        return stack.env();
    }

    private static JsonNode getJson(String url, String token) throws Exception {
        return E2eStack.getJson(url, token);
    }

    /** Total of one meter over [from, to) in 15-minute points, through the API's generated client. */
    private static BigDecimal apiTotal(Map<String, String> env, String meter, Instant from, Instant to) {
        WattflowClient api = WattflowClient.builder(URI.create(env.get("WATTFLOW_API_URL"))).token(env.get("WATTFLOW_ADMIN_TOKEN"))
                .rejectUndocumentedFields(true).build();
        return api.call(() -> api.usage().getMeterUsage(meter, from.toString(), to.toString(), "15m", null, null)).getTotalKwh();
    }

    private static BigDecimal expectedTotal(GeneratorSettings settings, String meter) {
        long total = 0;
        for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(settings)) {
            if (reading.meterId().equals(meter)) {
                total += reading.energyMilliWattHours();
            }
        }
        return BigDecimal.valueOf(total, 6);
    }

    @Test
    @Order(1)
    void demoBringsUpTheStackRunsTheJobAndPrintsAWorkingCurlLine() throws Exception {
        E2eStack.Result demo = wattflow(stack.environment, "demo");
        assertThat(demo.exit()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("Wattflow demo is running.", "identical", "curl -s -H 'Authorization: Bearer ");

        Matcher window = Pattern.compile("for 20 meters over \\[(\\S+), (\\S+)\\), seed 42").matcher(demo.output());
        assertThat(window.find()).as(demo.output()).isTrue();
        demoStart = Instant.parse(window.group(1));
        GeneratorSettings settings = new GeneratorSettings(20, 300, 15, 42, demoStart, 0, 0, 0, 0);
        assertThat(settings.end()).isEqualTo(Instant.parse(window.group(2)));

        // The printed curl line works as printed: its URL and token give the produced meter's usage.
        Matcher curl = Pattern.compile("curl -s -H 'Authorization: Bearer (\\S+)' '(\\S+granularity=day)'").matcher(demo.output());
        assertThat(curl.find()).isTrue();
        JsonNode daily = getJson(curl.group(2), curl.group(1));
        assertThat(daily.get("meterId").asText()).isEqualTo("MTR-0001");
        assertThat(daily.get("totalKwh").decimalValue()).isEqualByComparingTo(expectedTotal(settings, "MTR-0001")).isPositive();

        Map<String, String> env = stackEnv();
        JsonNode jobs = getJson(env.get("FLINK_REST_URL") + "/jobs/overview", null);
        assertThat(jobs.get("jobs")).anySatisfy(job -> {
            assertThat(job.get("name").asText()).isEqualTo("wattflow-metering");
            assertThat(job.get("state").asText()).isEqualTo("RUNNING");
        });
        String jobId = jobs.get("jobs").get(0).get("jid").asText();
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
                assertThat(getJson(env.get("FLINK_REST_URL") + "/jobs/" + jobId + "/checkpoints", null)
                        .get("counts").get("completed").asInt()).isPositive());

        E2eStack.Result check = wattflow(stack.environment, "check");
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("PostgreSQL and QuestDB agree");

        // status --json: every component running, with the PID, role and port scripts need
        E2eStack.Result status = wattflow(stack.environment, "status", "--json");
        assertThat(status.exit()).as(status.output()).isZero();
        JsonNode components = E2eStack.JSON.readTree(status.output()).get("components");
        Map<String, String> roles = new HashMap<>();
        components.forEach(component -> {
            assertThat(component.get("running").asBoolean()).as(component.toString()).isTrue();
            assertThat(ProcessHandle.of(component.get("pid").asLong())).as(component.toString()).isPresent();
            roles.merge(component.get("kind").asText(), component.get("role").asText("-"), (a, b) -> a + "," + b);
        });
        assertThat(roles).containsExactlyInAnyOrderEntriesOf(Map.of("object-store", "-", "postgres", "primary", "kafka", "controller", "questdb", "-",
                "flink-jobmanager", "leader", "flink-taskmanager", "-,-", "billing-api", "-", "exporter", "-,-", "alertmanager", "-",
                "prometheus", "-"));
        assertThat(components).filteredOn(component -> component.get("name").asText().equals("flink-taskmanager-1"))
                .singleElement().satisfies(component -> assertThat(component.get("pid").asLong()).isEqualTo(stack.pid("flink-taskmanager-1")));
        assertThat(components).filteredOn(component -> component.get("kind").asText().equals("billing-api")).singleElement()
                .satisfies(component -> assertThat(env.get("WATTFLOW_API_URL")).endsWith(":" + component.get("port").asInt()));

        // Prometheus scrapes every component, and every metric an alert rule or a dashboard reads exists on this stack
        String prometheus = env.get("PROMETHEUS_URL");
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            JsonNode targets = getJson(prometheus + "/api/v1/targets?state=active", null).get("data").get("activeTargets");
            List<String> scrapeJobs = new ArrayList<>();
            targets.forEach(target -> {
                scrapeJobs.add(target.get("labels").get("job").asText());
                assertThat(target.get("health").asText()).as(target.toString()).isEqualTo("up");
            });
            assertThat(scrapeJobs).containsExactlyInAnyOrder("prometheus", "alertmanager", "flink-jobmanager", "flink-taskmanager",
                    "flink-taskmanager", "billing-api", "postgres", "node", "kafka", "questdb");
        });
        Set<String> named = new TreeSet<>(MonitoringRules.metricsRead(MonitoringRules.read(stack.repo)));
        assertThat(named).contains("flink_jobmanager_job_uptime", "wattflow_usage_newest_bucket_age_seconds", "up");
        Set<String> dashboardMetrics = MonitoringRules.dashboardMetrics(stack.repo);
        assertThat(dashboardMetrics).contains("flink_taskmanager_job_task_operator_channel_energy_accepted_milliwatt_hours_total",
                "wattflow_billing_runs_finished_total", "http_server_requests_seconds_bucket");
        named.addAll(dashboardMetrics);
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(named).allSatisfy(metric -> assertThat(getJson(prometheus + "/api/v1/series?match[]="
                        + URLEncoder.encode("{__name__=\"" + metric + "\"}", StandardCharsets.UTF_8), null).get("data"))
                        .as("series of " + metric).isNotEmpty()));

        // Flink's and the API's logs are JSON lines with the same fields (Elastic Common Schema), every line of them, and
        // the job's task threads name the job (flink-job-id) for correlation
        Map<String, String> services = Map.of("flink-jobmanager.log", "wattflow-flink", "flink-taskmanager-1.log", "wattflow-flink",
                "billing-api.log", "wattflow-billing-api");
        List<JsonNode> taskManagerEvents = new ArrayList<>();
        for (Map.Entry<String, String> log : services.entrySet()) {
            String text = Files.readString(stack.home.resolve("logs").resolve(log.getKey()));
            List<String> lines = List.of(text.substring(0, text.lastIndexOf('\n') + 1).split("\n")); // the last line may be half written
            // the API logs its start and then only what goes wrong; Flink logs a lot
            assertThat(lines).as(log.getKey()).hasSizeGreaterThan(log.getKey().startsWith("flink") ? 10 : 0).allSatisfy(line -> {
                JsonNode event = E2eStack.JSON.readTree(line);
                assertThat(event.has("@timestamp") && event.has("log.level") && event.has("log.logger") && event.has("message"))
                        .as(line).isTrue();
                assertThat(event.get("service.name").asText()).isEqualTo(log.getValue());
                if (log.getKey().startsWith("flink-taskmanager")) {
                    taskManagerEvents.add(event);
                }
            });
        }
        assertThat(taskManagerEvents).anySatisfy(event -> assertThat(event.path("flink-job-id").asText()).isEqualTo(jobId));
    }

    @Test
    @Order(2)
    void aKilledTaskManagerIsBroughtBackByUpAndNoReadingIsLostOrDoubled() throws Exception {
        Map<String, String> env = stackEnv();
        stack.kill("flink-taskmanager-1");

        E2eStack.Result status = wattflow(stack.environment, "status");
        assertThat(status.output()).containsPattern("flink-taskmanager-1\\s+stopped");
        E2eStack.Result up = wattflow(stack.environment, "up");
        assertThat(up.exit()).as(up.output()).isZero();
        assertThat(up.output()).contains("PostgreSQL: already running", "Flink (1 JobManager, 2 TaskManagers): starting");
        assertThat(wattflow(stack.environment, "status").output()).containsPattern("flink-taskmanager-1\\s+running");

        // Readings produced while the job recovers are billed exactly once.
        Instant start = demoStart.minus(Duration.ofDays(3));
        E2eStack.Result produce = wattflow(stack.environment, "produce", "--meters", "20", "--rate", "1000", "--duration", "4s", "--seed", "7",
                "--start", start.toString(), "--duplicates", "0.1");
        assertThat(produce.exit()).as(produce.output()).isZero();
        GeneratorSettings settings = new GeneratorSettings(20, 200, 15, 7, start, 0, 0, 0, 0);
        for (String meter : List.of("MTR-0001", "MTR-0007", "MTR-0020")) {
            BigDecimal expected = expectedTotal(settings, meter);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(apiTotal(env, meter, settings.start(), settings.end())).isEqualByComparingTo(expected));
        }
        JsonNode jobs = getJson(env.get("FLINK_REST_URL") + "/jobs/overview", null);
        assertThat(jobs.get("jobs").get(0).get("state").asText()).isEqualTo("RUNNING");
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(wattflow(stack.environment, "check").output()).contains("PostgreSQL and QuestDB agree"));
    }

    @Test
    @Order(3)
    void submittingTwiceSaysTheJobIsAlreadyRunning() throws Exception {
        E2eStack.Result again = wattflow(stack.environment, "submit");
        assertThat(again.exit()).isZero();
        assertThat(again.output()).contains("job wattflow-metering is already RUNNING");
        assertThat(wattflow(stack.environment, "flink", "list").output()).contains("wattflow-metering (RUNNING)");
    }

    @Test
    @Order(5)
    void stoppingTheJobRaisesItsAlertThroughAlertmanagerAndRestartingItResolvesIt() throws Exception {
        Map<String, String> env = stackEnv();
        String jobId = getJson(env.get("FLINK_REST_URL") + "/jobs/overview", null).get("jobs").get(0).get("jid").asText();
        int seenBefore = alerts.received().size();
        Instant beforeStop = Instant.now();
        E2eStack.Result stop = wattflow(stack.environment, "flink", "stop", "--savepointPath",
                stack.home.resolve("flink/savepoints").toString(), jobId);
        assertThat(stop.exit()).as(stop.output()).isZero();
        Instant stopped = Instant.now();
        Matcher savepoint = Pattern.compile("Savepoint completed\\. Path: (\\S+)").matcher(stop.output());
        assertThat(savepoint.find()).as(stop.output()).isTrue();

        // Fires after its `for:` (1 minute), counted from the first evaluation that sees the job gone: at most one
        // scrape (the job's series go stale) and one evaluation after the stop, plus one interval of scheduling slack.
        JsonNode firing = await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
                .until(() -> alerts.find(seenBefore, "WattflowJobNotRunning", "firing"), found -> found != null);
        Instant startsAt = Instant.parse(firing.get("startsAt").asText());
        Duration interval = Duration.ofSeconds(5);
        assertThat(startsAt).isAfterOrEqualTo(beforeStop.plus(Duration.ofMinutes(1)))
                .isBeforeOrEqualTo(stopped.plus(Duration.ofMinutes(1)).plus(interval.multipliedBy(3)));
        assertThat(firing.get("labels").get("severity").asText()).isEqualTo("page");
        assertThat(firing.get("annotations").get("runbook_url").asText()).isEqualTo("docs/operations.md#wattflowjobnotrunning");

        E2eStack.Result submit = wattflow(stack.environment, "submit", "--from-savepoint", savepoint.group(1));
        assertThat(submit.exit()).as(submit.output()).isZero();
        JsonNode resolved = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
                .until(() -> alerts.find(seenBefore, "WattflowJobNotRunning", "resolved"), found -> found != null);
        assertThat(Instant.parse(resolved.get("endsAt").asText())).isAfter(startsAt);
        assertThat(getJson(env.get("FLINK_REST_URL") + "/jobs/overview", null).get("jobs")).anySatisfy(job ->
                assertThat(job.get("state").asText()).isEqualTo("RUNNING"));
    }

    @Test
    @Order(4)
    void badInputGetsOneClearLine() throws Exception {
        E2eStack.Result unknown = wattflow(stack.environment, "frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.output().strip()).isEqualTo("wattflow: unknown command 'frobnicate'; run bin/wattflow help for the list");

        // A PATH with the shell tools the launcher uses, but no java.
        Path toolsWithoutJava = Files.createTempDirectory("wattflow-no-java-");
        for (String tool : List.of("bash", "dirname", "sed", "readlink")) {
            Files.createSymbolicLink(toolsWithoutJava.resolve(tool), Path.of("/usr/bin", tool));
        }
        Map<String, String> noJava = new HashMap<>(stack.environment);
        noJava.put("PATH", toolsWithoutJava.toString());
        noJava.put("JAVA_HOME", "");
        E2eStack.Result missingJava = wattflow(noJava, "status");
        try (Stream<Path> walk = Files.walk(toolsWithoutJava)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        assertThat(missingJava.exit()).isEqualTo(1);
        assertThat(missingJava.output().strip()).isEqualTo("wattflow: no Java found: install a JDK 17 or 21 "
                + "(e.g. 'sudo apt-get install -y openjdk-17-jdk') or set JAVA_HOME");

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path otherHome = Files.createTempDirectory("wattflow-e2e-ports-");
            Map<String, String> clash = new HashMap<>(stack.environment);
            clash.put("WATTFLOW_HOME", otherHome.toString());
            // the object store starts first: nothing else is started before the clash stops up
            clash.put("WATTFLOW_OBJECT_STORE_PORT", Integer.toString(taken.getLocalPort()));
            E2eStack.Result portInUse = wattflow(clash, "up");
            assertThat(portInUse.exit()).isEqualTo(1);
            assertThat(portInUse.output()).contains("wattflow: port " + taken.getLocalPort()
                    + " for the object store is in use by another program: stop it or set WATTFLOW_OBJECT_STORE_PORT to a free port");
            try (Stream<Path> walk = Files.walk(otherHome)) {
                walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

}
