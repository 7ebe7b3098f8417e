package io.wattflow.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.wattflow.client.model.Health;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The hand-written layer against a scripted HTTP server (the real API is exercised in billing-api's GeneratedClientIT). */
class WattflowClientTest {
    private HttpServer server;
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final List<String> authorizations = new ArrayList<>();

    private record Answer(int status, String contentType, String body, String retryAfter) {
    }

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            Answer answer = answers.isEmpty() ? new Answer(500, "text/plain", "no answer scripted", null) : answers.poll();
            exchange.getResponseHeaders().add("Content-Type", answer.contentType());
            if (answer.retryAfter() != null) {
                exchange.getResponseHeaders().add("Retry-After", answer.retryAfter());
            }
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private WattflowClient client(int maxAttempts) {
        return WattflowClient.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .token("secret-token").maxAttempts(maxAttempts).maxRetryWait(Duration.ofMillis(50)).build();
    }

    private static final String UNAVAILABLE = "{\"type\":\"urn:wattflow:problem:unavailable\",\"title\":\"Service Unavailable\","
            + "\"status\":503,\"detail\":\"the billing database is unreachable\",\"instance\":\"/health\"}";

    @Test
    void answers503AreRetriedAfterRetryAfterAndTheTokenIsSentEveryTime() {
        answers.add(new Answer(503, "application/problem+json", UNAVAILABLE, "0"));
        answers.add(new Answer(503, "application/problem+json", UNAVAILABLE, null));
        answers.add(new Answer(200, "application/json", "{\"status\":\"UP\",\"detail\":null}", null));
        WattflowClient wattflow = client(3);

        Health health = wattflow.call(() -> wattflow.service().getHealth());

        assertThat(health.getStatus()).isEqualTo(Health.StatusEnum.UP);
        assertThat(authorizations).containsExactly("Bearer secret-token", "Bearer secret-token", "Bearer secret-token");
    }

    @Test
    void theLast503IsAProblemOnceTheAttemptsAreUsedUp() {
        answers.add(new Answer(503, "application/problem+json", UNAVAILABLE, "0"));
        answers.add(new Answer(503, "application/problem+json", UNAVAILABLE, "0"));
        WattflowClient wattflow = client(2);

        assertThatThrownBy(() -> wattflow.call(() -> wattflow.service().getHealth()))
                .isInstanceOfSatisfying(WattflowProblem.class, problem -> {
                    assertThat(problem.status()).isEqualTo(503);
                    assertThat(problem.type()).isEqualTo("urn:wattflow:problem:unavailable");
                    assertThat(problem.problem().getDetail()).isEqualTo("the billing database is unreachable");
                });
        assertThat(authorizations).hasSize(2);
    }

    @Test
    void otherErrorsAreNotRetriedAndBecomeTypedProblems() {
        answers.add(new Answer(400, "application/problem+json", "{\"type\":\"urn:wattflow:problem:invalid-parameter\","
                + "\"title\":\"Bad Request\",\"status\":400,\"detail\":\"period must be a month such as 2026-11\",\"instance\":\"/x\"}", null));
        answers.add(new Answer(502, "text/html", "<html>bad gateway</html>", null));
        WattflowClient wattflow = client(4);

        assertThatThrownBy(() -> wattflow.call(() -> wattflow.invoicing().previewBill("C-1", "November")))
                .isInstanceOfSatisfying(WattflowProblem.class, problem -> {
                    assertThat(problem.status()).isEqualTo(400);
                    assertThat(problem.problem().getDetail()).isEqualTo("period must be a month such as 2026-11");
                });
        assertThatThrownBy(() -> wattflow.call(() -> wattflow.service().getHealth()))
                .isInstanceOfSatisfying(WattflowProblem.class, problem -> {
                    assertThat(problem.status()).isEqualTo(502);
                    assertThat(problem.problem()).isNull();
                });
        assertThat(authorizations).hasSize(2);
    }

    @Test
    void retryAfterInSecondsOrAsADateIsBoundedAndNonsenseFallsBackToBackoff() {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        assertThat(RetryAfter.retryAfterMillis(headers("7"), now)).contains(7_000L);
        assertThat(RetryAfter.retryAfterMillis(headers("Mon, 07 Dec 2026 10:00:03 GMT"), now)).contains(3_000L);
        assertThat(RetryAfter.retryAfterMillis(headers("Mon, 07 Dec 2026 09:00:00 GMT"), now)).contains(0L);
        assertThat(RetryAfter.retryAfterMillis(headers("99999999999999999999"), now)).isEmpty();
        assertThat(RetryAfter.retryAfterMillis(headers("soon"), now)).isEmpty();

        assertThat(RetryAfter.delayMillis(headers("7"), 1, Duration.ofSeconds(30))).isEqualTo(7_000L);
        assertThat(RetryAfter.delayMillis(headers("3600"), 1, Duration.ofSeconds(30))).isEqualTo(30_000L);
        assertThat(RetryAfter.delayMillis(headers("soon"), 1, Duration.ofSeconds(30))).isEqualTo(500L);
        assertThat(RetryAfter.delayMillis(null, 3, Duration.ofSeconds(30))).isEqualTo(2_000L);
        assertThat(RetryAfter.delayMillis(null, 1_000, Duration.ofSeconds(30))).isEqualTo(30_000L);
    }

    private static HttpHeaders headers(String retryAfter) {
        return HttpHeaders.of(Map.of("Retry-After", List.of(retryAfter)), (name, value) -> true);
    }
}
