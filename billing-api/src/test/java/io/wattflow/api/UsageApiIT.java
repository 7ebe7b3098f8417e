package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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

/** The billing API on a random port against a real PostgreSQL, connected as the read-only API role. */
class UsageApiIT {
    private static final String DATABASE = "api_it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String READER_TOKEN;
    private static ApiFixture api;
    private static String baseUrl;

    @BeforeAll
    static void startApiOnAFreshDatabase() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE usage_15m, api_token");
            READER_TOKEN = ApiFixture.addToken(connection, "it", "operator");
            // 1 Wh in every quarter hour of 25 and 26 October 2026 in Berlin: the 25th is the 25-hour day (DST ends).
            insertEveryQuarterHour(connection, "MTR-0001", "import", Instant.parse("2026-10-24T22:00:00Z"),
                    Instant.parse("2026-10-26T23:00:00Z"), 1_000);
            insertEveryQuarterHour(connection, "MTR-0001", "export", Instant.parse("2026-10-25T10:00:00Z"),
                    Instant.parse("2026-10-25T11:00:00Z"), 250);
            insertEveryQuarterHour(connection, "MTR-0002", "import", Instant.parse("2026-11-28T10:00:00Z"),
                    Instant.parse("2026-11-28T10:15:00Z"), 12_345_678);
            insertEveryQuarterHour(connection, "MTR-0002", "import", Instant.parse("2026-11-28T11:00:00Z"),
                    Instant.parse("2026-11-28T11:15:00Z"), 1);
            // 20:00Z is already the 29th at +05:00, and still the 28th where the offset's sign is read the other way
            for (String[] bucket : new String[][] {{"2026-11-28T10:00:00Z", "1000000"}, {"2026-11-28T11:00:00Z", "1000"},
                    {"2026-11-28T20:00:00Z", "500000"}}) {
                insertEveryQuarterHour(connection, "MTR-TZ", "import", Instant.parse(bucket[0]),
                        Instant.parse(bucket[0]).plus(Duration.ofMinutes(15)), Long.parseLong(bucket[1]));
            }
        }
        api = ApiFixture.start(DATABASE);
        baseUrl = api.baseUrl();
    }

    @AfterAll
    static void stopApi() {
        api.close();
    }

    private static void insertEveryQuarterHour(Connection connection, String meter, String channel, Instant from, Instant to, long mwh)
            throws Exception {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES (?, ?, ?, ?, 1)")) {
            for (Instant bucket = from; bucket.isBefore(to); bucket = bucket.plus(Duration.ofMinutes(15))) {
                insert.setString(1, meter);
                insert.setString(2, channel);
                insert.setTimestamp(3, Timestamp.from(bucket));
                insert.setLong(4, mwh);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static HttpResponse<String> get(String pathAndQuery, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return BillingApi.objectMapper().readTree(response.body());
    }

    @Test
    void dailyUsageInBerlinFollowsLocalCalendarDaysIncludingThe25HourDay() throws Exception {
        HttpResponse<String> response = get("/api/v1/meters/MTR-0001/usage?from=2026-10-25&to=2026-10-27&granularity=day&tz=Europe/Berlin",
                READER_TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(response.body()).isEqualTo("{\"meterId\":\"MTR-0001\",\"channel\":\"import\",\"granularity\":\"day\","
                + "\"tz\":\"Europe/Berlin\",\"unit\":\"kWh\",\"points\":["
                + "{\"start\":\"2026-10-25T00:00:00+02:00\",\"end\":\"2026-10-26T00:00:00+01:00\",\"kwh\":0.100000},"
                + "{\"start\":\"2026-10-26T00:00:00+01:00\",\"end\":\"2026-10-27T00:00:00+01:00\",\"kwh\":0.096000}],"
                + "\"totalKwh\":0.196000}");
    }

    @Test
    void aFixedOffsetGivesTheSameDaysAsTheRegionOfThatOffset() throws Exception {
        JsonNode offset = json(get("/api/v1/meters/MTR-TZ/usage?from=2026-11-28&to=2026-11-30&granularity=day&tz=%2B05:00", READER_TOKEN));
        JsonNode prefixed = json(get("/api/v1/meters/MTR-TZ/usage?from=2026-11-28&to=2026-11-30&granularity=day&tz=UTC%2B05:00", READER_TOKEN));
        JsonNode region = json(get("/api/v1/meters/MTR-TZ/usage?from=2026-11-28&to=2026-11-30&granularity=day&tz=Asia/Karachi", READER_TOKEN));

        assertThat(offset.get("points").toString()).isEqualTo("[{\"start\":\"2026-11-28T00:00:00+05:00\",\"end\":\"2026-11-29T00:00:00+05:00\","
                + "\"kwh\":1.001},{\"start\":\"2026-11-29T00:00:00+05:00\",\"end\":\"2026-11-30T00:00:00+05:00\",\"kwh\":0.5}]"); // as the JSON tree prints 1.001000 and 0.500000
        assertThat(prefixed.get("points")).isEqualTo(offset.get("points"));
        assertThat(region.get("points")).isEqualTo(offset.get("points"));
    }

    @Test
    void hourlyUsageHasBothTwoOClockHoursOfTheDstChange() throws Exception {
        JsonNode report = json(get("/api/v1/meters/MTR-0001/usage?from=2026-10-25&to=2026-10-26&granularity=hour&tz=Europe/Berlin",
                READER_TOKEN));

        List<String> starts = new ArrayList<>();
        report.get("points").forEach(point -> starts.add(point.get("start").asText()));
        assertThat(starts).hasSize(25).containsSubsequence("2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00");
        report.get("points").forEach(point -> assertThat(point.get("kwh").decimalValue()).isEqualByComparingTo("0.004"));
        assertThat(report.get("totalKwh").decimalValue()).isEqualByComparingTo("0.100");
    }

    @Test
    void quarterHoursAreExactToTheMilliWattHourAndEmptyBucketsAreOmitted() throws Exception {
        HttpResponse<String> response = get("/api/v1/meters/MTR-0002/usage?from=2026-11-28T10:00:00Z&to=2026-11-28T12:00:00Z&granularity=15m",
                READER_TOKEN);

        assertThat(response.body()).isEqualTo("{\"meterId\":\"MTR-0002\",\"channel\":\"import\",\"granularity\":\"15m\",\"tz\":\"UTC\","
                + "\"unit\":\"kWh\",\"points\":["
                + "{\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":12.345678},"
                + "{\"start\":\"2026-11-28T11:00:00Z\",\"end\":\"2026-11-28T11:15:00Z\",\"kwh\":0.000001}],"
                + "\"totalKwh\":12.345679}");
    }

    @Test
    void aUsageReportCanBeFetchedAsCsv() throws Exception {
        HttpResponse<String> csv = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl
                        + "/api/v1/meters/MTR-0002/usage?from=2026-11-28T10:00:00Z&to=2026-11-28T12:00:00Z&granularity=15m"))
                .header("Authorization", "Bearer " + READER_TOKEN).header("Accept", "text/csv").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
        assertThat(csv.body()).isEqualTo("start,end,kwh\r\n"
                + "2026-11-28T10:00:00Z,2026-11-28T10:15:00Z,12.345678\r\n"
                + "2026-11-28T11:00:00Z,2026-11-28T11:15:00Z,0.000001\r\n");
    }

    @Test
    void monthsAndChannelsAreSeparate() throws Exception {
        JsonNode imports = json(get("/api/v1/meters/MTR-0001/usage?from=2026-10-01&to=2026-12-01&granularity=month&tz=Europe/Berlin",
                READER_TOKEN));
        JsonNode exports = json(get("/api/v1/meters/MTR-0001/usage?from=2026-10-01&to=2026-12-01&granularity=month&tz=Europe/Berlin&channel=export",
                READER_TOKEN));

        assertThat(imports.get("points")).hasSize(1);
        assertThat(imports.get("points").get(0).get("start").asText()).isEqualTo("2026-10-01T00:00:00+02:00");
        assertThat(imports.get("points").get(0).get("end").asText()).isEqualTo("2026-11-01T00:00:00+01:00");
        assertThat(imports.get("totalKwh").decimalValue()).isEqualByComparingTo("0.196");
        assertThat(exports.get("channel").asText()).isEqualTo("export");
        assertThat(exports.get("totalKwh").decimalValue()).isEqualByComparingTo("0.001");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "from=2026-10-25T00:10:00Z&to=2026-10-26&granularity=hour|not aligned to granularity hour",
            "from=2026-10-26&to=2026-10-25|from must be before to",
            "from=2026-10-25&to=2026-10-26&granularity=week|granularity must be one of 15m, hour, day, month",
            "from=2026-10-25&to=2026-10-26&tz=Mars/Olympus|tz must be an IANA time zone",
            "from=2026-10-25&to=2026-10-26&channel=reactive|channel must be import or export",
            "to=2026-10-26|from is required",
            "from=25.10.2026&to=2026-10-26|is not a date",
            "from=2026-01-01&to=2026-03-01&granularity=15m|longer than 31 days",
    })
    void badQueriesAreA400ProblemThatSaysWhatToFix(String query, String detail) throws Exception {
        HttpResponse<String> response = get("/api/v1/meters/MTR-0001/usage?" + query, READER_TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = json(response);
        assertThat(problem.get("type").asText()).isEqualTo("urn:wattflow:problem:invalid-parameter");
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("detail").asText()).contains(detail);
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void requestsWithoutAValidTokenAreRejected() throws Exception {
        String path = "/api/v1/meters/MTR-0001/usage?from=2026-10-25&to=2026-10-26";
        HttpResponse<String> missing = get(path, null);
        HttpResponse<String> wrong = get(path, "not-a-token");

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(json(missing).get("type").asText()).isEqualTo("urn:wattflow:problem:unauthorized");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(json(wrong).get("detail").asText()).contains("unknown or revoked");
    }

    @Test
    void everyResponseCarriesARequestIdAndMetricsCountRequestsPerRoute() throws Exception {
        HttpResponse<String> usage = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl
                + "/api/v1/meters/MTR-0002/usage?from=2026-11-28&to=2026-11-29")).header("Authorization", "Bearer " + READER_TOKEN)
                .header("X-Request-Id", "trace-42").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(usage.headers().firstValue("X-Request-Id")).hasValue("trace-42");
        assertThat(get("/health/live", null).headers().firstValue("X-Request-Id")).isPresent();

        String metrics = get("/metrics", null).body();
        assertThat(metrics).contains("http_server_requests_seconds_count{method=\"GET\",route=\"/api/v1/meters/{meterId}/usage\",status=\"200\"}",
                "wattflow_database_breaker_state 0.0", "wattflow_billing_invoices_issued_total");
    }

    @Test
    void unknownPathsAreA404ProblemAndHealthNeedsNoToken() throws Exception {
        HttpResponse<String> missing = get("/api/v1/nothing-here", READER_TOKEN);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("type").asText()).isEqualTo("urn:wattflow:problem:not-found");

        HttpResponse<String> health = get("/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).get("status").asText()).isEqualTo("UP");
    }
}
