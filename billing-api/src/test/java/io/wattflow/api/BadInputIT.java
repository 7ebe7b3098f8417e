package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kind of malformed request, one per row: a 4xx problem that says what to fix, never a 500, never a stack trace. */
class BadInputIT {
    private static final String DATABASE = "bad_input_it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static String admin;
    private static ApiFixture api;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE)) {
            admin = ApiFixture.addToken(connection, "bad-input-" + System.nanoTime(), "admin");
            connection.createStatement().execute("INSERT INTO customer (id, name, timezone) VALUES ('C-1', 'Ada', 'UTC') ON CONFLICT DO NOTHING");
        }
        api = ApiFixture.start(DATABASE);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "malformed date|GET|/api/v1/meters/M-1/usage?from=2026-13-01&to=2026-12-02||400|invalid-parameter|is not a date",
            "misaligned date|GET|/api/v1/meters/M-1/usage?from=2026-11-01T10:07:00Z&to=2026-11-02&granularity=15m||400|invalid-parameter|not aligned",
            "from after to|GET|/api/v1/meters/M-1/usage?from=2026-11-05&to=2026-11-01||400|invalid-parameter|from must be before to",
            "range over the maximum|GET|/api/v1/meters/M-1/usage?from=2026-01-01&to=2026-06-01&granularity=15m||400|invalid-parameter|longer than 31 days",
            "unknown granularity|GET|/api/v1/meters/M-1/usage?from=2026-11-01&to=2026-11-02&granularity=fortnight||400|invalid-parameter|granularity must be one of",
            "unknown channel|GET|/api/v1/meters/M-1/usage?from=2026-11-01&to=2026-11-02&channel=reactive||400|invalid-parameter|channel must be import or export",
            "unknown time zone|GET|/api/v1/meters/M-1/usage?from=2026-11-01&to=2026-11-02&tz=Europe/Atlantis||400|invalid-parameter|IANA time zone",
            "missing parameter|GET|/api/v1/customers/C-1/bill-preview||400|invalid-parameter|period is required",
            "malformed period|GET|/api/v1/customers/C-1/bill-preview?period=2026-13||400|invalid-parameter|period must be a month",
            "bad page size|GET|/api/v1/reports/consumption?period=2026-11&limit=10000||400|invalid-parameter|limit must be a whole number",
            "bad JSON|POST|/api/v1/customers|`{\"id\":`|400|invalid-parameter|not valid JSON",
            "JSON that is not an object|POST|/api/v1/billing-runs|`[1,2]`|400|invalid-parameter|not valid JSON",
            "unknown field|POST|/api/v1/billing-runs|`{\"period\":\"2026-11\",\"dryRun\":true}`|400|invalid-parameter|unknown field 'dryRun'",
            "wrong type|POST|/api/v1/tariffs|`{\"id\":\"t\",\"name\":\"T\",\"currency\":\"EUR\",\"version\":{\"validFrom\":\"2026-01-01\",\"standingChargePerDay\":\"cheap\",\"taxRate\":0,\"rates\":[]}}`|400|invalid-parameter|not valid JSON",
            "empty body|POST|/api/v1/customers||400|invalid-parameter|needs a JSON body",
            "misaligned assignment|PUT|/api/v1/meters/M-1/assignment|`{\"customerId\":\"C-1\",\"validFrom\":\"2026-01-01T00:00:01Z\"}`|400|invalid-parameter|15-minute boundary",
            "unknown currency|POST|/api/v1/tariffs|`{\"id\":\"t\",\"name\":\"T\",\"currency\":\"XYZ1\",\"version\":null}`|400|invalid-parameter|ISO 4217",
            "bad role|POST|/api/v1/tokens|`{\"role\":\"root\"}`|400|invalid-parameter|role must be admin, operator or customer",
            "bad idempotency key|POST|/api/v1/billing-runs|`{\"period\":\"2026-11\"}`|400|invalid-parameter|Idempotency-Key must have",
            "unknown run id|GET|/api/v1/billing-runs/not-a-uuid||404|not-found|no billing run",
            "unknown route|GET|/api/v1/nothing||404|not-found|No resource",
            "far-future instant|GET|/api/v1/meters/M-1/usage?from=%2B100000-01-01T00:00:00Z&to=%2B100000-01-02T00:00:00Z||400|invalid-parameter|must lie between 1970-01-01 and 2100-01-01",
            "far-future date|GET|/api/v1/meters/M-1/usage?from=9999-01-01&to=9999-01-02||400|invalid-parameter|must lie between 1970-01-01 and 2100-01-01",
            "far-future period|GET|/api/v1/customers/C-1/bill-preview?period=%2B300000-01||400|invalid-parameter|must be a month from 1970-01 to 2099-12",
            "far-past run|POST|/api/v1/billing-runs|`{\"period\":\"1900-01\"}`|400|invalid-parameter|must be a month from 1970-01 to 2099-12",
            "far-future tariff|POST|/api/v1/tariffs|`{\"id\":\"t\",\"name\":\"T\",\"currency\":\"EUR\",\"version\":{\"validFrom\":\"+200000-01-01\",\"standingChargePerDay\":0,\"taxRate\":0,\"rates\":[{\"period\":\"all\",\"days\":\"MON\",\"from\":\"00:00\",\"to\":\"00:00\",\"pricePerKwh\":0.1}]}}`|400|invalid-parameter|validFrom",
            "far-future assignment|PUT|/api/v1/meters/M-1/assignment|`{\"customerId\":\"C-1\",\"validFrom\":\"+100000-01-01T00:00:00Z\"}`|400|invalid-parameter|must lie between 1970-01-01 and 2100-01-01",
    })
    void aMalformedRequestIsAProblemThatSaysWhatToFix(String kind, String method, String path, String body, int status, String type,
                                                     String detail) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json");
        if (kind.equals("bad idempotency key")) {
            request.header("Idempotency-Key", "k".repeat(201));
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(kind + ": " + response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(value -> assertThat(value).startsWith("application/problem+json"));
        JsonNode problem = BillingApi.objectMapper().readTree(response.body());
        assertThat(problem.get("type").asText()).isEqualTo("urn:wattflow:problem:" + type);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("detail").asText()).contains(detail);
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void requestsWithDatesTheDatabaseCannotStoreNeverMakeTheApiUnavailableForOthers() throws Exception {
        // Given a caller who sends far-future ranges again and again
        for (int i = 0; i < 8; i++) {
            HttpResponse<String> hostile = HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl()
                    + "/api/v1/meters/M-1/usage?from=%2B1000" + i + "-01-01T00:00:00Z&to=%2B1000" + i + "-01-02T00:00:00Z"))
                    .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(hostile.statusCode()).as(hostile.body()).isEqualTo(400);
        }
        // Then everyone else is still answered from the database
        HttpResponse<String> usage = HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl()
                + "/api/v1/meters/M-1/usage?from=2026-11-01&to=2026-11-02")).header("Authorization", "Bearer " + admin).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(usage.statusCode()).as(usage.body()).isEqualTo(200);
    }
}
