package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.stack.Secrets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Completeness of a meter's days and of the fleet's day, against a real PostgreSQL through the read-only API role. */
class CompletenessApiIT {
    private static final String DATABASE = "completeness_it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String operator;
    private static String customer;
    private static ApiFixture api;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE usage_15m, api_token, meter_assignment, customer_tariff, customer CASCADE");
            operator = ApiFixture.addToken(connection, "completeness-operator", "operator");
            statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('C-Q1', 'Quality One', 'Europe/Berlin')");
            customer = "customer-" + Secrets.randomToken();
            try (PreparedStatement token = connection.prepareStatement(
                    "INSERT INTO api_token (token_sha256, name, role, customer_id) VALUES (?, 'completeness-customer', 'customer', 'C-Q1')")) {
                token.setBytes(1, Secrets.sha256(customer));
                token.executeUpdate();
            }
            // Berlin, 2026-10-25 has 100 quarter hours (clocks go back): all but the 4 of 12:00-13:00 local (11:00Z)
            insert(connection, "MTR-Q1", "import", "2026-10-24T22:00:00Z", "2026-10-25T11:00:00Z");
            insert(connection, "MTR-Q1", "import", "2026-10-25T12:00:00Z", "2026-10-25T23:00:00Z");
            // 2026-10-26: the first 12 hours of 24; 2026-10-27: nothing
            insert(connection, "MTR-Q1", "import", "2026-10-25T23:00:00Z", "2026-10-26T11:00:00Z");
            // an export channel does not count for import
            insert(connection, "MTR-Q1", "export", "2026-10-26T11:00:00Z", "2026-10-26T23:00:00Z");
            // 2026-03-29 has 92 quarter hours (clocks go forward), every one there
            insert(connection, "MTR-Q1", "import", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
            // the fleet of 2026-10-26: MTR-Q2 complete, MTR-Q3 held by C-Q1 and silent, MTR-Q1 half
            insert(connection, "MTR-Q2", "import", "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z");
            assign(connection, "MTR-Q3", "2026-01-01T00:00:00Z", "C-Q1");
            // held until the day before, then nobody's: not in the day's fleet
            assign(connection, "MTR-Q4", "2026-01-01T00:00:00Z", "C-Q1");
            assign(connection, "MTR-Q4", "2026-10-25T23:00:00Z", null);
            // held from the day after on: not in the fleet either
            assign(connection, "MTR-Q5", "2026-10-26T23:00:00Z", "C-Q1");
            // held for the last quarter hour of the day only: in the fleet
            assign(connection, "MTR-Q6", "2026-10-26T22:45:00Z", "C-Q1");
        }
        api = ApiFixture.start(DATABASE);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static void insert(Connection connection, String meter, String channel, String from, String to) throws Exception {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES (?, ?, ?, 250, 1)")) {
            for (Instant bucket = Instant.parse(from); bucket.isBefore(Instant.parse(to)); bucket = bucket.plus(Duration.ofMinutes(15))) {
                insert.setString(1, meter);
                insert.setString(2, channel);
                insert.setTimestamp(3, Timestamp.from(bucket));
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static void assign(Connection connection, String meter, String from, String customerId) throws Exception {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO meter_assignment (meter_id, valid_from, customer_id) VALUES (?, ?, ?)")) {
            insert.setString(1, meter);
            insert.setTimestamp(2, Timestamp.from(Instant.parse(from)));
            insert.setString(3, customerId);
            insert.executeUpdate();
        }
    }

    private static HttpResponse<String> get(String pathAndQuery, String token, String accept) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + pathAndQuery)).header("Authorization", "Bearer " + token)
                .header("Accept", accept).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String pathAndQuery) throws Exception {
        HttpResponse<String> response = get(pathAndQuery, operator, "application/json");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return BillingApi.objectMapper().readTree(response.body());
    }

    private static List<String> days(JsonNode report) {
        List<String> days = new ArrayList<>();
        report.get("days").forEach(day -> days.add(day.get("date").asText() + " " + day.get("expected") + " " + day.get("actual") + " "
                + day.get("missing") + " " + percent(day)));
        return days;
    }

    @Test
    void everyLocalDayCountsItsQuarterHoursIncludingTheDstDaysAndTheEmptyOnes() throws Exception {
        JsonNode autumn = json("/api/v1/meters/MTR-Q1/completeness?from=2026-10-25&to=2026-10-28&tz=Europe/Berlin");
        JsonNode spring = json("/api/v1/meters/MTR-Q1/completeness?from=2026-03-29&to=2026-03-30&tz=Europe/Berlin");

        assertThat(days(autumn)).containsExactly("2026-10-25 100 96 4 96", "2026-10-26 96 48 48 50", "2026-10-27 96 0 96 0");
        assertThat(autumn.get("expected").asInt()).isEqualTo(292);
        assertThat(autumn.get("actual").asInt()).isEqualTo(144);
        assertThat(autumn.get("missing").asInt()).isEqualTo(148);
        assertThat(autumn.get("actualPercent").decimalValue()).isEqualByComparingTo("49.32");
        assertThat(days(spring)).containsExactly("2026-03-29 92 92 0 100");
    }

    @Test
    void theChannelAndTheZoneChooseWhatIsCounted() throws Exception {
        JsonNode export = json("/api/v1/meters/MTR-Q1/completeness?from=2026-10-26&to=2026-10-27&tz=Europe/Berlin&channel=export");
        // in UTC the 26th holds the import of 00:00Z-11:00Z: 44 quarter hours
        JsonNode utc = json("/api/v1/meters/MTR-Q1/completeness?from=2026-10-26&to=2026-10-27");

        assertThat(days(export)).containsExactly("2026-10-26 96 48 48 50");
        assertThat(days(utc)).containsExactly("2026-10-26 96 44 52 45.83");
    }

    @Test
    void theFleetsDayListsTheMetersBelowTheThresholdFewestFirstOnePageAtATime() throws Exception {
        JsonNode all = json("/api/v1/reports/completeness?date=2026-10-26&tz=Europe/Berlin");
        JsonNode first = json("/api/v1/reports/completeness?date=2026-10-26&tz=Europe/Berlin&limit=2");
        JsonNode second = json("/api/v1/reports/completeness?date=2026-10-26&tz=Europe/Berlin&limit=2&offset=2");
        JsonNode strict = json("/api/v1/reports/completeness?date=2026-10-26&tz=Europe/Berlin&threshold=50");

        assertThat(all.get("meters").asLong()).isEqualTo(4); // Q1, Q2, Q3, Q6
        assertThat(all.get("expectedPerMeter").asInt()).isEqualTo(96);
        assertThat(all.get("expected").asLong()).isEqualTo(384);
        assertThat(all.get("actual").asLong()).isEqualTo(144);
        assertThat(all.get("missing").asLong()).isEqualTo(240);
        assertThat(all.get("actualPercent").decimalValue()).isEqualByComparingTo("37.50");
        assertThat(all.get("metersBelow").asLong()).isEqualTo(3);
        assertThat(rows(all)).containsExactly("MTR-Q3 0 96 0", "MTR-Q6 0 96 0", "MTR-Q1 48 48 50");
        assertThat(all.get("nextOffset").isNull()).isTrue();
        assertThat(rows(first)).containsExactly("MTR-Q3 0 96 0", "MTR-Q6 0 96 0");
        assertThat(first.get("nextOffset").asInt()).isEqualTo(2);
        assertThat(rows(second)).containsExactly("MTR-Q1 48 48 50");
        assertThat(second.get("nextOffset").isNull()).isTrue();
        // 50% is not below 50%
        assertThat(rows(strict)).containsExactly("MTR-Q3 0 96 0", "MTR-Q6 0 96 0");
        assertThat(strict.get("metersBelow").asLong()).isEqualTo(2);
    }

    @Test
    void theFleetsRowsAndAMetersDaysComeAsCsv() throws Exception {
        HttpResponse<String> fleet = get("/api/v1/reports/completeness?date=2026-10-26&tz=Europe/Berlin", operator, "text/csv");
        HttpResponse<String> meter = get("/api/v1/meters/MTR-Q1/completeness?from=2026-10-26&to=2026-10-28&tz=Europe/Berlin", operator,
                "text/csv");

        assertThat(fleet.body()).isEqualTo("meterId,actual,missing,actualPercent\r\nMTR-Q3,0,96,0.00\r\nMTR-Q6,0,96,0.00\r\n"
                + "MTR-Q1,48,48,50.00\r\n");
        assertThat(meter.body()).isEqualTo("date,expected,actual,missing,actualPercent\r\n2026-10-26,96,48,48,50.00\r\n"
                + "2026-10-27,96,0,96,0.00\r\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/api/v1/reports/completeness?date=2026-10-26&threshold=101 | threshold must be a percentage from 0 to 100",
            "/api/v1/reports/completeness?date=2026-10-26&threshold=1e2 | threshold must be a percentage from 0 to 100",
            "/api/v1/reports/completeness?date=2026-10-26&threshold=99.999 | threshold must be a percentage from 0 to 100",
            "/api/v1/reports/completeness?date=26.10.2026 | date='26.10.2026' is not a date",
            "/api/v1/reports/completeness | date is required",
            "/api/v1/reports/completeness?date=2200-01-01 | date must be a date from 1970-01-01 to 2099-12-31",
            "/api/v1/reports/completeness?date=2026-10-26&tz=Mars/Olympus | tz must be an IANA time zone",
            "/api/v1/reports/completeness?date=2026-10-26&limit=501 | limit must be a whole number from 1 to 500",
            "/api/v1/meters/MTR-Q1/completeness?from=2026-10-26T06:00&to=2026-10-27 | is not aligned to granularity day",
            "/api/v1/meters/MTR-Q1/completeness?from=2026-10-26&to=2026-10-27&channel=both | channel must be import or export",
            "/api/v1/meters/MTR%20Q1/completeness?from=2026-10-26&to=2026-10-27 | meterId must be 1-64 letters",
    })
    void badParametersAreNamedInAProblem(String pathAndQuery, String detail) throws Exception {
        HttpResponse<String> response = get(pathAndQuery, operator, "application/json");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(BillingApi.objectMapper().readTree(response.body()).get("detail").asText()).contains(detail);
    }

    @Test
    void completenessIsForOperators() throws Exception {
        assertThat(get("/api/v1/meters/MTR-Q3/completeness?from=2026-10-26&to=2026-10-27", customer, "application/json").statusCode())
                .isEqualTo(403);
        assertThat(get("/api/v1/reports/completeness?date=2026-10-26", customer, "application/json").statusCode()).isEqualTo(403);
    }

    /** The JSON tree reads decimals as doubles: 96.00 on the wire is 96.0 here (the CSV test checks the two places). */
    private static String percent(JsonNode node) {
        return node.get("actualPercent").decimalValue().stripTrailingZeros().toPlainString();
    }

    private static List<String> rows(JsonNode report) {
        List<String> rows = new ArrayList<>();
        report.get("rows").forEach(row -> rows.add(row.get("meterId").asText() + " " + row.get("actual") + " " + row.get("missing") + " "
                + percent(row)));
        return rows;
    }
}
