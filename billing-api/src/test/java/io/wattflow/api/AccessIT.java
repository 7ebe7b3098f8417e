package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.run.BillingRunWorker;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.Secrets;
import io.wattflow.stack.testing.TestServices;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Roles, customer scoping, token issue and revocation, and rate limiting, against a real PostgreSQL. */
class AccessIT {
    private static final String DATABASE = "access_it";
    private static final String ADMIN = "admin-" + Secrets.randomToken();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HikariDataSource dataSource;
    private static Javalin app;

    @BeforeAll
    static void start() throws Exception {
        PostgresServer postgres = TestServices.shared().postgres();
        postgres.createDatabaseAndRoles(DATABASE);
        try (Connection connection = postgres.connect(DATABASE); Statement statement = connection.createStatement()) {
            try (PreparedStatement token = connection.prepareStatement("INSERT INTO api_token (token_sha256, name, role) VALUES (?, 'access-admin', 'admin')")) {
                token.setBytes(1, Secrets.sha256(ADMIN));
                token.executeUpdate();
            }
            for (String customer : List.of("C-A", "C-B")) {
                statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('" + customer + "', '" + customer + "', 'UTC')");
                statement.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES ('" + customer + "', '2026-01-01', 'standard')");
            }
            // M-1 was C-A's until 12:00 on 2 November, then C-B's; 1 Wh every hour on 1-3 November
            statement.execute("INSERT INTO meter_assignment VALUES ('M-1', '2026-01-01T00:00:00Z', 'C-A'), ('M-1', '2026-11-02T12:00:00Z', 'C-B')");
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) SELECT 'M-1', 'import', ts, 1000, 1 "
                    + "FROM generate_series('2026-11-01T00:00:00Z'::timestamptz, '2026-11-03T23:00:00Z', interval '1 hour') ts");
        }
        ApiConfig config = new ApiConfig("127.0.0.1", 0, postgres.jdbcUrl(DATABASE), PostgresServer.API_ROLE,
                postgres.rolePassword(PostgresServer.API_ROLE), 4);
        dataSource = BillingApiMain.dataSource(config);
        app = BillingApi.create(config, new BillingApi.Dependencies(dataSource,
                new BillingRunWorker.Settings("access", Duration.ofSeconds(30), Duration.ofSeconds(5), BillingRunWorker.StepHook.NONE),
                null, new BigDecimal("0.9"), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 30)).start();
    }

    @AfterAll
    static void stop() {
        app.stop();
        dataSource.close();
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode issue(String body) throws Exception {
        HttpResponse<String> issued = send("POST", "/api/v1/tokens", ADMIN, body);
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        return BillingApi.objectMapper().readTree(issued.body());
    }

    @Test
    void aCustomerTokenSeesOnlyItsOwnCustomerAndItsMetersWhileTheyWereItsOwn() throws Exception {
        String customerA = issue("{\"role\":\"customer\",\"customerId\":\"C-A\"}").get("token").asText();

        assertThat(send("GET", "/api/v1/customers/C-A", customerA, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/customers/C-B", customerA, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/api/v1/customers/C-B/bill-preview?period=2026-11", customerA, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/api/v1/meters/M-404/usage?from=2026-11-01&to=2026-11-04", customerA, null).statusCode()).isEqualTo(404);
        assertThat(send("POST", "/api/v1/billing-runs", customerA, "{\"period\":\"2026-11\"}").statusCode()).isEqualTo(403);

        // M-1 was C-A's for 36 of the 72 hourly readings: 1-2 November until noon
        JsonNode asCustomer = BillingApi.objectMapper().readTree(
                send("GET", "/api/v1/meters/M-1/usage?from=2026-11-01&to=2026-11-04", customerA, null).body());
        assertThat(asCustomer.get("totalKwh").decimalValue()).isEqualByComparingTo("0.036");
        JsonNode asAdmin = BillingApi.objectMapper().readTree(
                send("GET", "/api/v1/meters/M-1/usage?from=2026-11-01&to=2026-11-04", ADMIN, null).body());
        assertThat(asAdmin.get("totalKwh").decimalValue()).isEqualByComparingTo("0.072");
    }

    @Test
    void customerUsageCountsEachMeterOnlyWhileItWasTheCustomersAndTheReportPagesAndExportsCsv() throws Exception {
        String customerB = issue("{\"role\":\"customer\",\"customerId\":\"C-B\"}").get("token").asText();
        JsonNode usageB = BillingApi.objectMapper().readTree(
                send("GET", "/api/v1/customers/C-B/usage?from=2026-11-01&to=2026-11-04", customerB, null).body());
        assertThat(usageB.get("meters").get(0).asText()).isEqualTo("M-1");
        assertThat(usageB.get("totalKwh").decimalValue()).isEqualByComparingTo("0.036");
        assertThat(send("GET", "/api/v1/customers/C-A/usage?from=2026-11-01&to=2026-11-04", customerB, null).statusCode()).isEqualTo(404);

        JsonNode firstPage = BillingApi.objectMapper().readTree(
                send("GET", "/api/v1/reports/consumption?period=2026-11&limit=1", ADMIN, null).body());
        assertThat(firstPage.get("rows")).hasSize(1);
        assertThat(firstPage.get("rows").get(0).get("customerId").asText()).isEqualTo("C-A");
        assertThat(firstPage.get("nextOffset").asInt()).isEqualTo(1);
        JsonNode secondPage = BillingApi.objectMapper().readTree(
                send("GET", "/api/v1/reports/consumption?period=2026-11&limit=1&offset=1", ADMIN, null).body());
        assertThat(secondPage.get("rows").get(0).get("customerId").asText()).isEqualTo("C-B");
        assertThat(secondPage.get("nextOffset").isNull()).isTrue();

        HttpResponse<String> csv = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                + "/api/v1/reports/consumption?period=2026-11&groupBy=tariff")).header("Authorization", "Bearer " + ADMIN)
                .header("Accept", "text/csv").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
        assertThat(csv.body()).isEqualTo("tariffId,kwh\r\nstandard,0.072000\r\n");
        assertThat(send("GET", "/api/v1/reports/consumption?period=2026-11&groupBy=meter", ADMIN, null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/api/v1/reports/consumption?period=2026-11&limit=0", ADMIN, null).statusCode()).isEqualTo(400);
    }

    @Test
    void anOperatorMayRunBillingButNotIssueTokensAndARevokedTokenStopsWorking() throws Exception {
        JsonNode operator = issue("{\"role\":\"operator\",\"name\":\"night shift\"}");
        String token = operator.get("token").asText();
        assertThat(token).hasSizeGreaterThanOrEqualTo(43); // 256 random bits, base64url

        assertThat(send("GET", "/api/v1/customers/C-B", token, null).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/api/v1/tokens", token, "{\"role\":\"admin\"}").statusCode()).isEqualTo(403);

        assertThat(send("DELETE", "/api/v1/tokens/" + operator.get("id").asText(), ADMIN, null).statusCode()).isEqualTo(204);
        HttpResponse<String> revoked = send("GET", "/api/v1/customers/C-B", token, null);
        assertThat(revoked.statusCode()).isEqualTo(401);

        assertThat(send("POST", "/api/v1/tokens", ADMIN, "{\"role\":\"customer\"}").statusCode()).isEqualTo(400);
        assertThat(send("POST", "/api/v1/tokens", ADMIN, "{\"role\":\"customer\",\"customerId\":\"C-404\"}").statusCode()).isEqualTo(400);
        assertThat(send("POST", "/api/v1/tokens", ADMIN, "{\"role\":\"root\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void aTokenOverItsRateLimitGets429WithRetryAfter() throws Exception {
        String token = issue("{\"role\":\"operator\"}").get("token").asText();
        // 100 requests at once: far more than 30 in one second, however slow the machine
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            pending.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/api/v1/customers/C-A"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (var response : pending) {
            responses.add(response.get());
        }
        List<HttpResponse<String>> limited = responses.stream().filter(response -> response.statusCode() == 429).toList();

        assertThat(limited).isNotEmpty();
        assertThat(limited.get(0).headers().firstValue("Retry-After")).hasValue("1");
        assertThat(BillingApi.objectMapper().readTree(limited.get(0).body()).get("type").asText())
                .isEqualTo("urn:wattflow:problem:too-many-requests");
    }
}
