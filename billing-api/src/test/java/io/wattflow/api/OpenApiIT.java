package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.security.Roles;
import io.wattflow.api.auth.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI document against the running app: every route is in it, and responses match its schemas. */
class OpenApiIT {
    private static final String DATABASE = "openapi_it";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Set<HandlerType> HTTP_METHODS = Set.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH,
            HandlerType.DELETE);

    private static String ADMIN;
    private static ApiFixture api;
    private static Javalin app;
    private static JsonNode document;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE api_token");
            ADMIN = ApiFixture.addToken(connection, "openapi", "admin");
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) VALUES "
                    + "('MTR-OA', 'import', '2026-11-02T10:00:00Z', 1234, 1) ON CONFLICT DO NOTHING");
        }
        api = ApiFixture.start(DATABASE);
        app = api.app;
        document = BillingApi.objectMapper().readTree(get("/openapi.json").body());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send("GET", path, null);
    }

    @Test
    void everyRegisteredRouteIsDocumentedAndEveryDocumentedRouteExists() {
        Set<String> registered = new TreeSet<>();
        app.unsafe.internalRouter.allHttpHandlers().forEach(parsed -> {
            if (HTTP_METHODS.contains(parsed.endpoint.method)) {
                registered.add(parsed.endpoint.method.name() + " " + parsed.endpoint.path);
            }
        });
        Set<String> documented = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : document.get("paths").properties()) {
            path.getValue().fieldNames().forEachRemaining(method -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey()));
        }

        assertThat(document.get("openapi").asText()).isEqualTo("3.1.0");
        assertThat(documented).isEqualTo(registered);
    }

    /** The roles of every route as the server registered them: "GET /path" -> sorted role names. */
    private static Map<String, List<String>> registeredRoles() {
        Map<String, List<String>> roles = new TreeMap<>();
        app.unsafe.internalRouter.allHttpHandlers().forEach(parsed -> {
            if (HTTP_METHODS.contains(parsed.endpoint.method)) {
                Roles registered = parsed.endpoint.metadata(Roles.class);
                roles.put(parsed.endpoint.method.name() + " " + parsed.endpoint.path, registered == null ? List.of()
                        : registered.getRoles().stream().map(role -> ((Role) role).name().toLowerCase(Locale.ROOT)).sorted().toList());
            }
        });
        return roles;
    }

    @Test
    void everyRouteHasRolesAndTheDocumentAndTheGuideSayTheSameRoles() throws Exception {
        Map<String, List<String>> registered = registeredRoles();
        assertThat(registered).allSatisfy((route, roles) -> assertThat(roles).as(route + " has no role (fail closed)").isNotEmpty());

        Map<String, List<String>> documented = new TreeMap<>();
        for (Map.Entry<String, JsonNode> path : document.get("paths").properties()) {
            path.getValue().properties().forEach(operation -> {
                List<String> roles = new ArrayList<>();
                operation.getValue().path("x-roles").forEach(role -> roles.add(role.asText()));
                documented.put(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(), roles.stream().sorted().toList());
            });
        }
        assertThat(documented).isEqualTo(registered);

        // docs/billing-api.md: every route in its tables names the registered roles (path parameters compared by place)
        Map<String, List<String>> byShape = new TreeMap<>();
        registered.forEach((route, roles) -> byShape.put(route.replaceAll("\\{[^}]+}", "{}"), roles));
        Path guide = Path.of(System.getProperty("wattflow.repo"), "docs", "billing-api.md");
        Pattern row = Pattern.compile("^\\| `(GET|POST|PUT|PATCH|DELETE) ([^`?]+)[^`]*` \\| ([^|(]+)");
        int rows = 0;
        for (String line : Files.readAllLines(guide)) {
            Matcher matcher = row.matcher(line);
            if (matcher.find()) {
                String route = matcher.group(1) + " " + matcher.group(2).replaceAll("\\{[^}]+}", "{}");
                List<String> roles = Arrays.stream(matcher.group(3).split(","))
                        .map(role -> role.trim().split(" ")[0]).filter(role -> !role.isEmpty()).sorted().toList();
                assertThat(roles).as(line).isEqualTo(byShape.get(route));
                rows++;
            }
        }
        assertThat(rows).as("route rows found in the guide").isGreaterThanOrEqualTo(10);
    }

    @Test
    void responsesMatchTheirDocumentedSchemas() throws Exception {
        checkAgainstDocument("get", "/health/live", get("/health/live"));
        checkAgainstDocument("get", "/health/ready", get("/health/ready"));
        checkAgainstDocument("get", "/api/v1/meters/{meterId}/usage", get("/api/v1/meters/MTR-OA/usage?from=2026-11-01&to=2026-11-03"));
        checkAgainstDocument("get", "/api/v1/meters/{meterId}/usage", get("/api/v1/meters/MTR-OA/usage?from=2026-11-03&to=2026-11-01"));
        checkAgainstDocument("post", "/api/v1/customers", send("POST", "/api/v1/customers",
                "{\"id\":\"C-OA\",\"name\":\"Open API\",\"timezone\":\"UTC\",\"tariffId\":\"standard\",\"tariffFrom\":\"2026-01-01\"}"));
        checkAgainstDocument("put", "/api/v1/meters/{meterId}/assignment", send("PUT", "/api/v1/meters/MTR-OA/assignment",
                "{\"customerId\":\"C-OA\",\"validFrom\":\"2026-01-01T00:00:00Z\"}"));
        checkAgainstDocument("get", "/api/v1/customers/{customerId}", get("/api/v1/customers/C-OA"));
        checkAgainstDocument("get", "/api/v1/customers/{customerId}/bill-preview", get("/api/v1/customers/C-OA/bill-preview?period=2026-11"));
        checkAgainstDocument("get", "/api/v1/customers/{customerId}", get("/api/v1/customers/nobody"));
        checkAgainstDocument("get", "/api/v1/customers/{customerId}/usage", get("/api/v1/customers/C-OA/usage?from=2026-11-01&to=2026-11-03"));
        checkAgainstDocument("get", "/api/v1/reports/consumption", get("/api/v1/reports/consumption?period=2026-11"));
        checkAgainstDocument("get", "/api/v1/meters/{meterId}/completeness", get("/api/v1/meters/MTR-OA/completeness?from=2026-11-02&to=2026-11-03"));
        checkAgainstDocument("get", "/api/v1/meters/{meterId}/completeness", get("/api/v1/meters/MTR-OA/completeness?from=2026-11-02"));
        checkAgainstDocument("get", "/api/v1/reports/completeness", get("/api/v1/reports/completeness?date=2026-11-02&threshold=50"));
        checkAgainstDocument("get", "/api/v1/reports/completeness", get("/api/v1/reports/completeness?date=1900-01-01"));
        HttpResponse<String> run = send("POST", "/api/v1/billing-runs", "{\"period\":\"2026-11\"}");
        checkAgainstDocument("post", "/api/v1/billing-runs", run);
        String runId = BillingApi.objectMapper().readTree(run.body()).get("id").asText();
        checkAgainstDocument("get", "/api/v1/billing-runs/{runId}", get("/api/v1/billing-runs/" + runId));
    }

    private static void checkAgainstDocument(String method, String path, HttpResponse<String> response) throws Exception {
        JsonNode responses = document.get("paths").get(path).get(method).get("responses");
        JsonNode declared = responses.get(Integer.toString(response.statusCode()));
        assertThat(declared).as(method + " " + path + " answered " + response.statusCode() + ", which is not documented").isNotNull();
        JsonNode content = declared.get("content");
        JsonNode schema = content.has("application/json") ? content.get("application/json").get("schema")
                : content.get("application/problem+json").get("schema");
        List<String> errors = new ArrayList<>();
        validate(BillingApi.objectMapper().readTree(response.body()), schema, "$", errors);
        assertThat(errors).as(method + " " + path + " -> " + response.body()).isEmpty();
    }

    /** The subset of JSON Schema the document uses: $ref, type (with null), required, properties, items, enum, const. */
    private static void validate(JsonNode value, JsonNode schema, String where, List<String> errors) {
        if (schema.has("$ref")) {
            String name = schema.get("$ref").asText().substring("#/components/schemas/".length());
            validate(value, document.get("components").get("schemas").get(name), where, errors);
            return;
        }
        if (schema.has("type")) {
            List<String> types = new ArrayList<>();
            if (schema.get("type").isArray()) {
                schema.get("type").forEach(type -> types.add(type.asText()));
            } else {
                types.add(schema.get("type").asText());
            }
            if (types.stream().noneMatch(type -> hasType(value, type))) {
                errors.add(where + " is " + value.getNodeType() + ", not " + types);
                return;
            }
        }
        if (schema.has("enum") && !contains(schema.get("enum"), value)) {
            errors.add(where + " = " + value + " is not one of " + schema.get("enum"));
        }
        if (schema.has("const") && !schema.get("const").equals(value)) {
            errors.add(where + " = " + value + " is not " + schema.get("const"));
        }
        if (value.isObject()) {
            if (schema.has("required")) {
                schema.get("required").forEach(field -> {
                    if (!value.has(field.asText())) {
                        errors.add(where + " lacks " + field.asText());
                    }
                });
            }
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                if (schema.has("properties") && schema.get("properties").has(field.getKey())) {
                    validate(field.getValue(), schema.get("properties").get(field.getKey()), where + "." + field.getKey(), errors);
                } else if (schema.has("additionalProperties") && schema.get("additionalProperties").isObject()) {
                    validate(field.getValue(), schema.get("additionalProperties"), where + "." + field.getKey(), errors);
                } else if (schema.has("properties")) {
                    errors.add(where + "." + field.getKey() + " is not documented");
                }
            }
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                validate(value.get(i), schema.get("items"), where + "[" + i + "]", errors);
            }
        }
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "number" -> value.isNumber();
            case "integer" -> value.isIntegralNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> false;
        };
    }

    private static boolean contains(JsonNode values, JsonNode value) {
        for (JsonNode candidate : values) {
            if (candidate.equals(value)) {
                return true;
            }
        }
        return false;
    }
}
