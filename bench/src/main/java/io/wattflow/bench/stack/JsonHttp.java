package io.wattflow.bench.stack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The benchmark's HTTP calls to the Flink REST API and the billing API: JSON in, one-line errors out. */
final class JsonHttp {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final String bearerToken;

    /** @param bearerToken sent with every request; null for none */
    JsonHttp(String bearerToken) {
        this.bearerToken = bearerToken;
    }

    static HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    }

    /** The response, whatever its status. */
    HttpResponse<String> send(HttpRequest.Builder request) {
        if (bearerToken != null) {
            request.header("Authorization", "Bearer " + bearerToken);
        }
        HttpRequest built = request.build();
        try {
            return http.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new BenchException(built.method() + " " + built.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        }
    }

    /** GET that must answer 200 with JSON. */
    JsonNode get(String url) {
        HttpResponse<String> response = send(request(url));
        if (response.statusCode() != 200) {
            throw new BenchException("GET " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        return parse(response.body());
    }

    JsonNode parse(String body) {
        try {
            return json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BenchException("not JSON: " + body, e);
        }
    }
}
