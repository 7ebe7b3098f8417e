package io.wattflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.Ports;
import io.wattflow.stack.testing.TestServices;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A local stack of the tests' own, driven only through {@code bin/wattflow} as a user would: its own WATTFLOW_HOME
 * and free ports, so a demo stack on the default ports is left alone.
 */
final class E2eStack implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    final Path repo;
    final Path home;
    final Map<String, String> environment;

    record Result(int exit, String output) {
    }

    E2eStack() throws IOException {
        this(false);
    }

    /** @param highlyAvailable ports for {@code up --ha} (the other Kafka nodes' ports free too) */
    E2eStack(boolean highlyAvailable) throws IOException {
        repo = TestServices.repository();
        home = Files.createTempDirectory("wattflow-e2e-");
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Ports ports = highlyAvailable ? Ports.ephemeralHighlyAvailable() : Ports.ephemeral();
        environment = new HashMap<>(ports.environment());
        environment.put("WATTFLOW_HOME", home.toString());
    }

    Result wattflow(String... args) throws Exception {
        return wattflow(environment, args);
    }

    Result wattflow(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(repo.resolve("bin/wattflow").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.MINUTES)).isTrue();
        return new Result(process.exitValue(), output);
    }

    /** Runs a command that must succeed, and returns its output. */
    String ok(String... args) throws Exception {
        Result result = wattflow(args);
        assertThat(result.exit()).as(String.join(" ", args) + ":\n" + result.output()).isZero();
        return result.output();
    }

    /** {@code bin/wattflow env} as a map. */
    Map<String, String> env() throws Exception {
        Map<String, String> values = new HashMap<>();
        ok("env").lines().filter(line -> line.contains("="))
                .forEach(line -> values.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1)));
        return values;
    }

    /**
     * {@code status --json}'s components. Its standard output is the JSON line alone; this reads it out of the merged
     * output, where a warning on standard error may come first.
     */
    JsonNode components() throws Exception {
        String line = ok("status", "--json").lines().filter(candidate -> candidate.startsWith("{\"components\"")).findFirst()
                .orElseThrow(() -> new AssertionError("status --json printed no {\"components\":...} line"));
        return JSON.readTree(line).get("components");
    }

    long pid(String component) throws IOException {
        return Long.parseLong(Files.readString(home.resolve("run/" + component + ".pid")).trim());
    }

    /** kill -9 of a component, and waits until it is gone. */
    void kill(String component) throws Exception {
        long pid = pid(component);
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        process.onExit().get(30, TimeUnit.SECONDS);
    }

    /**
     * kill -9 of a PostgreSQL node of {@code up --ha} as when its machine dies: its Patroni and the postmaster, which
     * Patroni starts in a session of its own, together.
     */
    void killPostgresNode(String node) throws Exception {
        long postmaster = Long.parseLong(Files.readAllLines(home.resolve("data/" + node + "/pgdata/postmaster.pid")).get(0).trim());
        List<ProcessHandle> processes = List.of(ProcessHandle.of(pid(node)).orElseThrow(), ProcessHandle.of(postmaster).orElseThrow());
        new ProcessBuilder("kill", "-9", Long.toString(pid(node)), Long.toString(postmaster)).start().waitFor();
        for (ProcessHandle process : processes) {
            process.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    static JsonNode getJson(String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url + " -> " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** The stack's database, as its superuser. */
    Connection database() throws Exception {
        Map<String, String> env = env();
        Properties credentials = new Properties();
        credentials.setProperty("user", env.get("PG_USER"));
        credentials.setProperty("password", Files.readString(Path.of(env.get("PG_PASSWORD_FILE"))).trim());
        try {
            credentials.setProperty("connectTimeout", PostgresServer.PATIENT_CONNECT_SECONDS);
            credentials.setProperty("loginTimeout", PostgresServer.PATIENT_CONNECT_SECONDS);
            return DriverManager.getConnection(env.get("PG_URL"), credentials);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + env.get("PG_URL"), e);
        }
    }

    /** Stops everything by PID and deletes the home; fails if anything is left running. */
    @Override
    public void close() throws Exception {
        try {
            Result down = wattflow("down");
            assertThat(down.exit()).isZero();
            assertThat(wattflow("status").output()).doesNotContain("running (pid");
        } finally {
            try (Stream<Path> walk = Files.walk(home)) {
                walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
