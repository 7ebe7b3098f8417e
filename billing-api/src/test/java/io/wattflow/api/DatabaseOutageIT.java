package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wattflow.stack.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PostgreSQL stopped and started again under the API: cached reads go on (marked stale), others fail fast, it recovers. */
class DatabaseOutageIT {
    private static final String DATABASE = "outage_it";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String OPERATOR;
    private static ApiFixture api;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            OPERATOR = ApiFixture.addToken(connection, "outage", "operator");
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES "
                    + "('M-OUT', 'import', '2026-11-02T10:00:00Z', 4321, 1), ('M-OUT', 'import', '2026-11-05T10:00:00Z', 1000, 1)");
        }
        api = ApiFixture.start(DATABASE);
    }

    @AfterAll
    static void stop() {
        TestServices.shared().postgres().start(); // whatever happened, later tests get their database back
        api.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        // The request timeout is the test's guard against hanging: an answer must come long before it.
        return HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + OPERATOR).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void cachedReadsAreServedStaleOthersFailFastAndTheServiceRecoversByItself() throws Exception {
        String cachedQuery = "/api/v1/meters/M-OUT/usage?from=2026-11-01&to=2026-11-04";
        String otherQuery = "/api/v1/meters/M-OUT/usage?from=2026-11-04&to=2026-11-07";
        HttpResponse<String> fresh = get(cachedQuery);
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.headers().firstValue("X-Wattflow-Stale")).isEmpty();

        TestServices.shared().postgres().stop();
        try {
            HttpResponse<String> stale = get(cachedQuery);
            assertThat(stale.statusCode()).isEqualTo(200);
            assertThat(stale.body()).isEqualTo(fresh.body());
            assertThat(stale.headers().firstValue("X-Wattflow-Stale")).hasValue("true");
            assertThat(stale.headers().firstValue("Age")).isPresent();

            HttpResponse<String> uncached = get(otherQuery);
            assertThat(uncached.statusCode()).isEqualTo(503);
            assertThat(uncached.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(uncached.body()).contains("urn:wattflow:problem:unavailable").doesNotContain("Exception");

            HttpResponse<String> ready = get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("DEGRADED");
        } finally {
            TestServices.shared().postgres().start();
        }

        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            HttpResponse<String> recovered = get(otherQuery);
            assertThat(recovered.statusCode()).isEqualTo(200);
            assertThat(recovered.headers().firstValue("X-Wattflow-Stale")).isEmpty();
            assertThat(recovered.body()).contains("\"totalKwh\":0.001000");
        });
        assertThat(get("/health/ready").body()).contains("UP");
    }
}
