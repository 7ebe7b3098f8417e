package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The business rules around a billing run: a period is billed once it has ended for every customer (unless an admin
 * forces it), who started and who cancelled a run is on the run and in its events, and customers that cannot be
 * invoiced are held with their reason while the run completes.
 */
class BillingRunRulesIT {
    private static final String DATABASE = "billing_run_rules_it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static String admin;
    private static String operator;
    private static ApiFixture api;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            admin = ApiFixture.addToken(connection, "rules-admin", "admin");
            operator = ApiFixture.addToken(connection, "rules-operator", "operator");
            statement.execute("INSERT INTO tariff (id, name, currency) VALUES ('gbp', 'Flat in pounds', 'GBP')");
            statement.execute("INSERT INTO tariff_version (tariff_id, valid_from, standing_charge_per_day, tax_rate) VALUES ('gbp', '2000-01-01', 0.30, 0.2)");
            statement.execute("INSERT INTO tariff_rate (tariff_id, valid_from, position, period, day_type, from_time, to_time, price_per_kwh) "
                    + "VALUES ('gbp', '2000-01-01', 1, 'all', 'all', '00:00', '00:00', 0.25)");
            // C-OK: EUR, a meter with the whole of October; C-NOMETER: no meter; C-GBP: pounds only; C-MIXED: euros, then pounds
            String[][] customers = {{"C-OK", "standard", "M-OK"}, {"C-NOMETER", "standard", null}, {"C-GBP", "gbp", "M-GBP"},
                {"C-MIXED", "standard", "M-MIXED"}};
            for (String[] customer : customers) {
                statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('" + customer[0] + "', '" + customer[0] + "', 'UTC')");
                statement.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES ('" + customer[0] + "', '2026-01-01', '"
                        + customer[1] + "')");
                if (customer[2] != null) {
                    statement.execute("INSERT INTO meter_assignment (meter_id, valid_from, customer_id) VALUES ('" + customer[2]
                            + "', '2026-01-01T00:00:00Z', '" + customer[0] + "')");
                    statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) SELECT '" + customer[2]
                            + "', 'import', ts, 1000, 1 FROM generate_series('2026-10-01T00:00:00Z'::timestamptz, '2026-10-31T23:45:00Z', interval '15 minutes') ts");
                }
            }
            statement.execute("INSERT INTO customer_tariff (customer_id, valid_from, tariff_id) VALUES ('C-MIXED', '2026-10-15', 'gbp')");
        }
        api = ApiFixture.start(DATABASE);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void aPeriodThatHasNotEndedIsBilledOnlyWhenAnAdminForcesIt() throws Exception {
        String current = YearMonth.now(ZoneOffset.UTC).plusMonths(1).toString(); // has not ended anywhere
        String body = "{\"period\":\"" + current + "\"}";

        HttpResponse<String> early = send("POST", "/api/v1/billing-runs", operator, body);
        HttpResponse<String> operatorForces = send("POST", "/api/v1/billing-runs", operator, "{\"period\":\"" + current + "\",\"force\":true}");
        HttpResponse<String> adminForces = send("POST", "/api/v1/billing-runs", admin, "{\"period\":\"" + current + "\",\"force\":true}");

        assertThat(early.statusCode()).isEqualTo(409);
        assertThat(json(early).get("detail").asText()).contains("ends in the time zone of every customer at");
        assertThat(operatorForces.statusCode()).isEqualTo(403);
        assertThat(adminForces.statusCode()).as(adminForces.body()).isEqualTo(202);
        assertThat(json(adminForces).get("forced").asBoolean()).isTrue();
        String runId = json(adminForces).get("id").asText();
        assertThat(send("POST", "/api/v1/billing-runs/" + runId + "/cancel", admin, null).statusCode()).isEqualTo(202);
    }

    @Test
    void customersThatCannotBeInvoicedAreHeldWithTheirReasonAndTheRunCompletesNamingWhoStartedAndCancelledIt() throws Exception {
        HttpResponse<String> started = send("POST", "/api/v1/billing-runs", operator, "{\"period\":\"2026-10\",\"currency\":\"EUR\"}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String runId = json(started).get("id").asText();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(json(send("GET", "/api/v1/billing-runs/" + runId, operator, null)).get("status").asText()).isEqualTo("completed"));
        JsonNode run = json(send("GET", "/api/v1/billing-runs/" + runId, operator, null));
        List<String> held = new ArrayList<>();
        run.get("held").forEach(customer -> held.add(customer.get("customerId").asText() + ": " + customer.get("reason").asText()));
        assertThat(held).containsExactlyInAnyOrder(
                "C-GBP: the customer is billed in GBP, the run bills EUR",
                "C-MIXED: the customer's tariffs in the period are in more than one currency: [EUR, GBP]",
                "C-NOMETER: no meter was assigned to the customer in the period");
        assertThat(run.get("invoices")).extracting(invoice -> invoice.get("customerId").asText()).containsExactly("C-OK");
        assertThat(run.get("startedBy").get("name").asText()).isEqualTo("rules-operator");
        assertThat(run.get("currency").asText()).isEqualTo("EUR");

        // When an admin cancels it, that is on the run too, and both are events of billing.events
        assertThat(send("POST", "/api/v1/billing-runs/" + runId + "/cancel", admin, null).statusCode()).isEqualTo(202);
        assertThat(json(send("GET", "/api/v1/billing-runs/" + runId, operator, null)).get("cancelledBy").get("name").asText())
                .isEqualTo("rules-admin");
        List<String> events = new ArrayList<>();
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT o.payload->>'type', t.name FROM outbox o JOIN api_token t ON t.id::text = "
                     + "o.payload->'by'->>'tokenId' WHERE o.payload->>'runId' = '" + runId + "' ORDER BY o.created_at")) {
            while (rows.next()) {
                events.add(rows.getString(1) + " by " + rows.getString(2));
            }
        }
        assertThat(events).containsExactly("billing-run.started by rules-operator", "billing-run.cancel-requested by rules-admin");
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return BillingApi.objectMapper().readTree(response.body());
    }
}
