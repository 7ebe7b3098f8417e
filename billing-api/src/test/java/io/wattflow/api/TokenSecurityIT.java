package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.wattflow.stack.testing.TestServices;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokens and idempotency keys as an attacker or a careless client meets them: no secret at rest, expiry, revocation and
 * failing closed on every instance, a per-address limit before token lookups, and health checks that cost the database
 * nothing per call.
 */
class TokenSecurityIT {
    private static final String DATABASE = "token_security_it";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final AtomicInteger CONNECTIONS_TAKEN = new AtomicInteger();

    private static String admin;
    private static ApiFixture api;
    private static ApiFixture secondInstance;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            admin = ApiFixture.addToken(connection, "token-security-admin", "admin");
            statement.execute("INSERT INTO customer (id, name, timezone) VALUES ('C-T', 'Tess', 'UTC') ON CONFLICT DO NOTHING");
            // an idempotency key that expired a day ago, of some other client
            statement.execute("INSERT INTO idempotency_key (token_sha256, idempotency_key, request_sha256, state, response_status, "
                    + "response_body, expires_at) VALUES (sha256('someone'), 'old-key', sha256('x'), 'done', 201, '{}', now() - interval '1 day')");
        }
        api = ApiFixture.start(DATABASE, dataSource -> new BillingApi.Dependencies(counting(dataSource)), 3);
        secondInstance = ApiFixture.start(DATABASE);
    }

    @AfterAll
    static void stop() {
        TestServices.shared().postgres().start(); // whatever happened, later tests get their database back
        api.close();
        secondInstance.close();
    }

    @Test
    void aRepeatedTokenRequestAnswersWithoutTheTokenAndNoSecretIsStored() throws Exception {
        String body = "{\"role\":\"operator\",\"name\":\"ops-idem\"}";
        HttpResponse<String> first = send(api, "POST", "/api/v1/tokens", admin, body, "issue-ops");
        HttpResponse<String> repeat = send(api, "POST", "/api/v1/tokens", admin, body, "issue-ops");

        assertThat(first.statusCode()).isEqualTo(201);
        String token = json(first).get("token").asText();
        assertThat(token).hasSizeGreaterThan(40);
        assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(first.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(repeat.statusCode()).isEqualTo(201);
        assertThat(repeat.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(json(repeat).get("token").isNull()).isTrue();
        assertThat(json(repeat).get("tokenShownOnce").asBoolean()).isTrue();
        assertThat(json(repeat).get("id").asText()).isEqualTo(json(first).get("id").asText());
        try (Connection connection = TestServices.shared().postgres().connect(DATABASE); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT string_agg(coalesce(response_body, ''), '') FROM idempotency_key")) {
            rows.next();
            assertThat(rows.getString(1)).doesNotContain(token);
        }
    }

    @Test
    void aRefusedRequestReleasesItsKeyAndExpiredKeysArePurged() throws Exception {
        HttpResponse<String> refused = send(api, "POST", "/api/v1/tokens", admin, "{\"role\":\"root\"}", "issue-fixed");
        HttpResponse<String> corrected = send(api, "POST", "/api/v1/tokens", admin, "{\"role\":\"operator\",\"name\":\"fixed\"}", "issue-fixed");

        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(corrected.statusCode()).as(corrected.body()).isEqualTo(201);
        try (Connection connection = TestServices.shared().postgres().connect(DATABASE); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM idempotency_key WHERE expires_at < now()")) {
            rows.next();
            assertThat(rows.getInt(1)).isZero();
        }
    }

    @Test
    void customerTokensExpireByDefaultAndAnExpiredTokenIsRefused() throws Exception {
        JsonNode customer = json(send(api, "POST", "/api/v1/tokens", admin, "{\"role\":\"customer\",\"customerId\":\"C-T\"}", null));
        Instant expiresAt = Instant.parse(customer.get("expiresAt").asText());
        assertThat(expiresAt).isBetween(Instant.now().plus(Duration.ofDays(89)), Instant.now().plus(Duration.ofDays(91)));

        String soon = Instant.now().plusSeconds(3).toString();
        JsonNode shortLived = json(send(api, "POST", "/api/v1/tokens", admin, "{\"role\":\"operator\",\"expiresAt\":\"" + soon + "\"}", null));
        String token = shortLived.get("token").asText();
        assertThat(send(api, "GET", "/api/v1/customers/C-T", token, null, null).statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(send(api, "GET", "/api/v1/customers/C-T", token, null, null).statusCode()).isEqualTo(401));
        HttpResponse<String> past = send(api, "POST", "/api/v1/tokens", admin, "{\"role\":\"operator\",\"expiresAt\":\"2020-01-01T00:00:00Z\"}", null);
        assertThat(past.statusCode()).isEqualTo(400);
    }

    @Test
    void aRevokedTokenIsRefusedByEveryInstanceWithin30SecondsAlsoWhilePostgresIsDown() throws Exception {
        JsonNode issued = json(send(api, "POST", "/api/v1/tokens", admin, "{\"role\":\"operator\",\"name\":\"to-revoke\"}", null));
        String token = issued.get("token").asText();
        // the second instance verifies it and remembers it
        assertThat(send(secondInstance, "GET", "/api/v1/customers/C-T", token, null, null).statusCode()).isEqualTo(200);

        // When it is revoked through the first instance, and PostgreSQL goes away right after
        assertThat(send(api, "DELETE", "/api/v1/tokens/" + issued.get("id").asText(), admin, null, null).statusCode()).isEqualTo(204);
        Instant revoked = Instant.now();
        TestServices.shared().postgres().stop();
        try {
            // Then the second instance refuses it (it can no longer verify it) for every request sent 30 s after the revocation
            Instant sent;
            int status;
            do {
                Thread.sleep(500);
                sent = Instant.now();
                status = send(secondInstance, "GET", "/api/v1/customers/C-T", token, null, null).statusCode();
            } while (status == 200 && Duration.between(revoked, sent).compareTo(Duration.ofSeconds(40)) < 0);
            assertThat(status).isIn(401, 503);
            assertThat(Duration.between(revoked, sent)).isLessThanOrEqualTo(Duration.ofSeconds(31));
        } finally {
            TestServices.shared().postgres().start();
        }
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(send(secondInstance, "GET", "/api/v1/customers/C-T", token, null, null).statusCode()).isEqualTo(401));
    }

    @Test
    void unknownTokensAreLimitedPerAddressBeforeAnyLookupAndKnownTokensStillPass() throws Exception {
        assertThat(send(api, "GET", "/api/v1/customers/C-T", admin, null, null).statusCode()).isEqualTo(200);
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            statuses.add(send(api, "GET", "/api/v1/customers/C-T", "forged-" + i, null, null).statusCode());
        }
        assertThat(statuses).containsOnly(401, 429).contains(429); // 3 lookups per second and address on this instance
        assertThat(send(api, "GET", "/api/v1/customers/C-T", admin, null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void healthChecksDoNotTakeADatabaseConnectionPerCall() throws Exception {
        int before = CONNECTIONS_TAKEN.get();
        long started = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            assertThat(send(api, "GET", "/health", null, null, null).statusCode()).isEqualTo(200);
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L + 1;
        // One database check per second at most, and the billing-run worker's poll once a second beside it: on a busy
        // machine the 100 calls take longer, so the bound follows the time they took, not a guess of it. One connection
        // per call would exceed it unless each call took half a second.
        assertThat(CONNECTIONS_TAKEN.get() - before).as("connections taken in %d s", seconds)
                .isLessThanOrEqualTo((int) Math.min(50, 2 * seconds + 3));
    }

    private static HttpResponse<String> send(ApiFixture instance, String method, String path, String token, String body, String key)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(instance.baseUrl() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return HTTP.send(request.header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return BillingApi.objectMapper().readTree(response.body());
    }

    /** The pool, counting every connection taken from it. */
    private static DataSource counting(DataSource pool) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
            if (method.getName().equals("getConnection")) {
                CONNECTIONS_TAKEN.incrementAndGet();
            }
            try {
                return method.invoke(pool, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

}
