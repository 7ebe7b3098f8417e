package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.run.BillingRunWorker;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.Secrets;
import io.wattflow.stack.testing.TestServices;
import io.wattflow.stack.testing.TopicContents;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A billing run as a saga on two instances against one PostgreSQL and a real Kafka: instance A crashes in the
 * middle of a customer's transaction, instance B resumes the run after A's lease expires; then the run is cancelled.
 */
class BillingRunIT {
    private static final String DATABASE = "billing_run_it";
    private static final String ADMIN = "admin-" + Secrets.randomToken();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicInteger EVENTS_WRITTEN_ON_A = new AtomicInteger();

    private static HikariDataSource dataSource;
    private static Javalin instanceA;
    private static Javalin instanceB;
    private static BillingRunWorker.Settings settingsA;

    @BeforeAll
    static void twoInstancesOnOneDatabase() throws Exception {
        TestServices services = TestServices.shared();
        PostgresServer postgres = services.postgres();
        postgres.createDatabaseAndRoles(DATABASE);
        KafkaBroker kafka = services.kafka();
        kafka.createTopics(List.of(new KafkaBroker.TopicSpec("billing.events", 2, Map.of())));
        try (Connection connection = postgres.connect(DATABASE); Statement statement = connection.createStatement()) {
            try (PreparedStatement token = connection.prepareStatement("INSERT INTO api_token (token_sha256, name, role) VALUES (?, 'run-it', 'admin')")) {
                token.setBytes(1, Secrets.sha256(ADMIN));
                token.executeUpdate();
            }
            // Customers C-1..C-5 on the standard tariff, each with one meter; C-5's meter has data for half of October only.
            for (int c = 1; c <= 5; c++) {
                statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('C-" + c + "', 'Customer " + c + "', 'Europe/Berlin')");
                statement.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES ('C-" + c + "', '2026-01-01', 'standard')");
                statement.execute("INSERT INTO meter_assignment (meter_id, valid_from, customer_id) VALUES ('M-" + c + "', '2026-01-01T00:00:00Z', 'C-" + c + "')");
                String end = c == 5 ? "2026-10-15 22:00:00+00" : "2026-10-31 23:00:00+00";
                statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) "
                        + "SELECT 'M-" + c + "', 'import', ts, " + (1_000 * c) + ", 1 FROM generate_series('2026-09-30 22:00:00+00'::timestamptz, '"
                        + end + "'::timestamptz - interval '15 minutes', interval '15 minutes') ts");
            }
        }
        ApiConfig config = new ApiConfig("127.0.0.1", 0, postgres.jdbcUrl(DATABASE), PostgresServer.API_ROLE,
                postgres.rolePassword(PostgresServer.API_ROLE), 4);
        dataSource = BillingApiMain.dataSource(config);
        // A crashes when it has written the event of its third invoice, before that transaction commits.
        settingsA = new BillingRunWorker.Settings("A", Duration.ofSeconds(2), Duration.ofMillis(200), (step, customer) -> {
            if (step.equals("event-written") && EVENTS_WRITTEN_ON_A.incrementAndGet() == 3) {
                throw new BillingRunWorker.SimulatedCrash("A dies while invoicing " + customer);
            }
        });
        instanceA = BillingApi.create(config, new BillingApi.Dependencies(dataSource, settingsA, kafka.bootstrapServers(),
                new BigDecimal("0.9"), METRICS_A, 1_000)).start();
        configB = config;
    }

    private static ApiConfig configB;
    private static final PrometheusMeterRegistry METRICS_A = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private static final PrometheusMeterRegistry METRICS_B = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** A counter summed over both instances (0 where an instance never counted it). */
    private static double counted(String name, String... tags) {
        double total = 0;
        for (PrometheusMeterRegistry registry : List.of(METRICS_A, METRICS_B)) {
            var counter = registry.find(name).tags(tags).counter();
            total += counter == null ? 0 : counter.count();
        }
        return total;
    }

    /** B starts only once A has crashed, so that A is the one that crashes mid-run. */
    private static void startInstanceB() {
        instanceB = BillingApi.create(configB, new BillingApi.Dependencies(dataSource,
                new BillingRunWorker.Settings("B", Duration.ofSeconds(2), Duration.ofMillis(200), BillingRunWorker.StepHook.NONE),
                TestServices.shared().kafka().bootstrapServers(), new BigDecimal("0.9"), METRICS_B, 1_000)).start();
    }

    @AfterAll
    static void stop() {
        instanceA.stop();
        if (instanceB != null) {
            instanceB.stop();
        }
        dataSource.close();
    }

    private static HttpResponse<String> send(Javalin instance, String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return BillingApi.objectMapper().readTree(response.body());
    }

    @Test
    void aRunResumedByAnotherInstanceIssuesEveryInvoiceOnceGapFreeAndCancellingCreditsThem() throws Exception {
        // Given a run started on A, which crashes in the middle of its third customer
        HttpResponse<String> started = send(instanceA, "POST", "/api/v1/billing-runs", "{\"period\":\"2026-10\"}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String runId = json(started).get("id").asText();
        assertThat(send(instanceA, "POST", "/api/v1/billing-runs", "{\"period\":\"2026-10\"}").statusCode()).isEqualTo(409);
        await().atMost(Duration.ofSeconds(60)).until(() -> EVENTS_WRITTEN_ON_A.get() >= 3);
        startInstanceB();

        // Then B finishes it once A's lease has expired
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(json(send(instanceB, "GET", "/api/v1/billing-runs/" + runId, null)).get("status").asText()).isEqualTo("completed"));
        assertThat(EVENTS_WRITTEN_ON_A.get()).isGreaterThanOrEqualTo(3);

        JsonNode run = json(send(instanceB, "GET", "/api/v1/billing-runs/" + runId, null));
        List<String> numbers = new ArrayList<>();
        Set<String> invoicedCustomers = new HashSet<>();
        run.get("invoices").forEach(invoice -> {
            numbers.add(invoice.get("number").asText());
            invoicedCustomers.add(invoice.get("customerId").asText());
        });
        assertThat(numbers).containsExactly("INV-000001", "INV-000002", "INV-000003", "INV-000004");
        assertThat(invoicedCustomers).containsExactlyInAnyOrder("C-1", "C-2", "C-3", "C-4");
        assertThat(run.get("held")).singleElement().satisfies(held -> {
            assertThat(held.get("customerId").asText()).isEqualTo("C-5");
            assertThat(held.get("reason").asText()).contains("M-5", "below 0.9");
        });

        // An invoice is the bill: C-1 used 1 Wh every quarter hour of October (2980 in Berlin)
        String firstInvoice = run.get("invoices").get(0).get("id").asText();
        JsonNode invoice = json(send(instanceB, "GET", "/api/v1/invoices/" + firstInvoice, null));
        assertThat(invoice.get("document").get("totalKwh").decimalValue()).isPositive();
        assertThat(invoice.get("document").get("completeness").elements().next().decimalValue()).isEqualByComparingTo("1");

        // and every invoice's event reached Kafka (at least once; deduplicated by event id)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(eventTypes()).filteredOn(type -> type.startsWith("invoice."))
                .containsExactly("invoice.issued", "invoice.issued", "invoice.issued", "invoice.issued"));
        assertThat(eventTypes()).contains("billing-run.started");

        // When the run is cancelled, every invoice gets a credit note, and nothing is deleted
        assertThat(send(instanceA, "POST", "/api/v1/billing-runs/" + runId + "/cancel", null).statusCode()).isIn(202);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(json(send(instanceB, "GET", "/api/v1/billing-runs/" + runId, null)).get("status").asText()).isEqualTo("cancelled"));
        JsonNode cancelled = json(send(instanceB, "GET", "/api/v1/billing-runs/" + runId, null));
        List<String> documents = new ArrayList<>();
        cancelled.get("invoices").forEach(document -> documents.add(document.get("number").asText() + " " + document.get("total").decimalValue().signum()));
        assertThat(documents).containsExactly("CRN-000001 -1", "CRN-000002 -1", "CRN-000003 -1", "CRN-000004 -1",
                "INV-000001 1", "INV-000002 1", "INV-000003 1", "INV-000004 1");
        assertThat(cancelled.get("customers").get("credited").asInt()).isEqualTo(4);
        JsonNode page = json(send(instanceB, "GET", "/api/v1/billing-runs/" + runId + "?limit=3&offset=3", null));
        assertThat(page.get("invoices")).hasSize(3);
        assertThat(page.get("invoices").get(0).get("number").asText()).isEqualTo("CRN-000004");
        assertThat(page.get("nextOffset").asInt()).isEqualTo(6);
        assertThat(json(send(instanceB, "GET", "/api/v1/billing-runs/" + runId + "?limit=3&offset=6", null)).get("nextOffset").isNull()).isTrue();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(eventTypes()).filteredOn("invoice.credited"::equals).hasSize(4));

        // and a new run for the period may start
        HttpResponse<String> rerun = send(instanceB, "POST", "/api/v1/billing-runs", "{\"period\":\"2026-10\"}");
        assertThat(rerun.statusCode()).isEqualTo(202);
        String rerunId = json(rerun).get("id").asText();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(json(send(instanceB, "GET", "/api/v1/billing-runs/" + rerunId, null)).get("status").asText()).isEqualTo("completed"));

        // When late usage arrives for October (5 kWh at night for C-1) and November is billed
        try (Connection connection = TestServices.shared().postgres().connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE usage_15m SET energy_mwh = energy_mwh + 5000000 WHERE meter_id = 'M-1' AND bucket_start = '2026-10-10T01:00:00Z'");
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) "
                    + "SELECT meter_id, 'import', ts, 1000, 1 FROM (VALUES ('M-1'), ('M-2'), ('M-3'), ('M-4'), ('M-5')) m(meter_id), "
                    + "generate_series('2026-10-31T23:00:00Z'::timestamptz, '2026-11-30T22:45:00Z', interval '15 minutes') ts");
        }
        HttpResponse<String> november = send(instanceB, "POST", "/api/v1/billing-runs", "{\"period\":\"2026-11\"}");
        String novemberId = json(november).get("id").asText();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(json(send(instanceB, "GET", "/api/v1/billing-runs/" + novemberId, null)).get("status").asText()).isEqualTo("completed"));

        // Then C-1's November invoice carries exactly one adjustment: +5 kWh of October at the night price
        JsonNode novemberRun = json(send(instanceB, "GET", "/api/v1/billing-runs/" + novemberId, null));
        String c1Invoice = null;
        for (JsonNode issued : novemberRun.get("invoices")) {
            if (issued.get("customerId").asText().equals("C-1")) {
                c1Invoice = issued.get("id").asText();
            }
        }
        JsonNode lines = json(send(instanceB, "GET", "/api/v1/invoices/" + c1Invoice, null)).get("document").get("lines");
        List<String> adjustments = new ArrayList<>();
        lines.forEach(line -> {
            if (line.get("kind").asText().equals("adjustment")) {
                adjustments.add(line.get("originalPeriod").asText() + " " + line.get("period").asText() + " "
                        + line.get("quantity").decimalValue().stripTrailingZeros().toPlainString() + " kWh "
                        + line.get("amount").decimalValue().setScale(2).toPlainString());
            }
        });
        assertThat(adjustments).containsExactly("2026-10 night 5 kWh 1.10");
        // C-5 was held in October; its invoices carry no adjustment for a period it was never invoiced for.

        // Each run is counted once, by the instance that started or finished it: October, its rerun and November
        // started (the refused duplicate not), three completed (the first one by B after A's crash), one cancelled.
        assertThat(counted("wattflow_billing_runs_started")).isEqualTo(3);
        assertThat(counted("wattflow_billing_runs_finished", "status", "completed")).isEqualTo(3);
        assertThat(counted("wattflow_billing_runs_finished", "status", "cancelled")).isEqualTo(1);
    }

    /** Types of the distinct events (by event id) on billing.events, in the order of their ids' first appearance. */
    private static List<String> eventTypes() throws Exception {
        List<String> types = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (var record : TopicContents.readAll(TestServices.shared().kafka().bootstrapServers(), "billing.events", Duration.ofSeconds(10))) {
            JsonNode event = BillingApi.objectMapper().readTree(record.value());
            if (seen.add(event.get("eventId").asText())) {
                types.add(event.get("type").asText());
            }
        }
        return types;
    }
}
