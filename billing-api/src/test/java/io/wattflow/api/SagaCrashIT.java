package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.run.BillingRunWorker;
import io.wattflow.stack.PostgresServer;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The billing-run saga crashed at each of its steps on instance A (on the second customer), then resumed by
 * instance B: every customer gets exactly one invoice, numbers stay gap-free, and there is exactly one outbox event
 * per invoice, whichever step the crash hit.
 */
class SagaCrashIT {

    private static BillingApi.Dependencies instance(DataSource dataSource, String owner, BillingRunWorker.StepHook hook) {
        return new BillingApi.Dependencies(dataSource, new BillingRunWorker.Settings(owner, Duration.ofSeconds(2), Duration.ofMillis(200), hook),
                null, BigDecimal.ZERO, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 1_000);
    }

    @ParameterizedTest(name = "crash at {0}")
    @ValueSource(strings = {"invoice-written", "event-written", "committed"})
    void aCrashAtAnyStepNeitherDuplicatesNorSkipsAnInvoice(String step) throws Exception {
        String database = "saga_" + step.replace('-', '_');
        PostgresServer postgres = ApiFixture.database(database);
        String operator;
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            operator = ApiFixture.addToken(connection, "saga", "operator");
            for (int c = 1; c <= 3; c++) {
                statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('S-" + c + "', 'Saga " + c + "', 'UTC')");
                statement.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES ('S-" + c + "', '2026-01-01', 'standard')");
                // a meter without readings: billed its standing charge (the completeness threshold here is 0)
                statement.execute("INSERT INTO meter_assignment (meter_id, valid_from, customer_id) VALUES ('M-S-" + c + "', '2026-01-01T00:00:00Z', 'S-" + c + "')");
            }
        }
        AtomicInteger reached = new AtomicInteger();
        AtomicBoolean crashed = new AtomicBoolean();
        BillingRunWorker.StepHook crashOnSecond = (at, customer) -> {
            if (at.equals(step) && reached.incrementAndGet() == 2 && crashed.compareAndSet(false, true)) {
                throw new BillingRunWorker.SimulatedCrash("A dies at " + step + " of " + customer);
            }
        };
        try (ApiFixture a = ApiFixture.start(database, dataSource -> instance(dataSource, "A", crashOnSecond))) {
            HttpResponse<String> started = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/billing-runs"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"period\":\"2026-10\"}")).header("Authorization", "Bearer " + operator).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(started.statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).untilTrue(crashed);

            try (ApiFixture b = ApiFixture.start(database, dataSource -> instance(dataSource, "B", BillingRunWorker.StepHook.NONE))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> runStatus(postgres, database).equals("completed"));
                assertThat(b.app.port()).isPositive();
            }
        }

        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            assertThat(rows(statement, "SELECT customer_id || ' ' || series || '-' || number FROM invoice ORDER BY number"))
                    .hasSize(3).extracting(row -> row.substring(row.indexOf(' ') + 1)).containsExactly("INV-1", "INV-2", "INV-3");
            assertThat(rows(statement, "SELECT DISTINCT customer_id FROM invoice ORDER BY customer_id")).containsExactly("S-1", "S-2", "S-3");
            assertThat(rows(statement, "SELECT payload->>'invoiceId' FROM outbox WHERE payload->>'type' LIKE 'invoice.%' ORDER BY created_at"))
                    .containsExactlyInAnyOrderElementsOf(rows(statement, "SELECT id::text FROM invoice"));
        }
    }

    @Test
    void parallelInvoicersIssueGapFreeNumbersOncePerCustomerAndAFailedCustomerIsRetried() throws Exception {
        String database = "saga_parallel";
        PostgresServer postgres = ApiFixture.database(database);
        String operator;
        int customers = 40;
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            operator = ApiFixture.addToken(connection, "saga", "operator");
            for (int c = 1; c <= customers; c++) {
                statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('P-" + c + "', 'Parallel " + c + "', 'UTC')");
                statement.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES ('P-" + c + "', '2026-01-01', 'standard')");
                // a meter without readings: billed its standing charge (the completeness threshold here is 0)
                statement.execute("INSERT INTO meter_assignment (meter_id, valid_from, customer_id) VALUES ('M-P-" + c + "', '2026-01-01T00:00:00Z', 'P-" + c + "')");
            }
        }
        // The tenth event written fails its transaction (a database error, not a crash): that customer stays pending
        // and is invoiced when the run is taken up again, while the other invoicers' transactions go on.
        AtomicInteger events = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        BillingRunWorker.StepHook failTenth = (at, customer) -> {
            if (at.equals("event-written") && events.incrementAndGet() == 10 && failed.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure while invoicing " + customer);
            }
        };
        try (ApiFixture a = ApiFixture.start(database, dataSource -> new BillingApi.Dependencies(dataSource,
                new BillingRunWorker.Settings("A", Duration.ofSeconds(2), Duration.ofMillis(200), failTenth, 4), null,
                BigDecimal.ZERO, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 1_000))) {
            HttpResponse<String> started = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/billing-runs"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"period\":\"2026-10\"}")).header("Authorization", "Bearer " + operator).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(started.statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).until(() -> runStatus(postgres, database).equals("completed"));
        }

        assertThat(failed).isTrue();
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            List<String> expectedNumbers = new ArrayList<>();
            List<String> expectedCustomers = new ArrayList<>();
            for (int n = 1; n <= customers; n++) {
                expectedNumbers.add(Integer.toString(n));
                expectedCustomers.add("P-" + n);
            }
            assertThat(rows(statement, "SELECT number FROM invoice WHERE series = 'INV' ORDER BY number")).containsExactlyElementsOf(expectedNumbers);
            assertThat(rows(statement, "SELECT customer_id FROM invoice")).containsExactlyInAnyOrderElementsOf(expectedCustomers);
            assertThat(rows(statement, "SELECT payload->>'invoiceId' FROM outbox WHERE payload->>'type' LIKE 'invoice.%'"))
                    .containsExactlyInAnyOrderElementsOf(rows(statement, "SELECT id::text FROM invoice"));
            assertThat(rows(statement, "SELECT DISTINCT state FROM billing_run_customer")).containsExactly("invoiced");
        }
    }

    private static String runStatus(PostgresServer postgres, String database) throws Exception {
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            List<String> status = rows(statement, "SELECT status FROM billing_run");
            return status.isEmpty() ? "" : status.get(0);
        }
    }

    private static List<String> rows(Statement statement, String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }
}
