package io.wattflow.stack;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * QuestDB as the local time-series store: it accepts the InfluxDB v2 write protocol ({@code /api/v2/write})
 * that the pipeline's influxdb-client-java speaks, so the same client code writes here and to InfluxDB in
 * production. Tables are created ahead with dedup keys so a rewritten point replaces the old one.
 */
public final class QuestDbServer {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final StackLayout layout;
    private final int httpPort;
    private final int pgPort;
    private final int metricsPort;
    private final ManagedProcess process;
    private final Path root;

    /** @param metricsPort QuestDB's small health and metrics server ({@code /metrics} for Prometheus) */
    public QuestDbServer(StackLayout layout, int httpPort, int pgPort, int metricsPort) {
        this.layout = layout;
        this.httpPort = httpPort;
        this.pgPort = pgPort;
        this.metricsPort = metricsPort;
        this.process = new ManagedProcess("questdb", layout.runDir(), layout.logDir());
        this.root = layout.dataDir("questdb");
    }

    public ManagedProcess process() {
        return process;
    }

    public String url() {
        return "http://" + Ports.HOST + ":" + httpPort;
    }

    /** JDBC URL of QuestDB's PostgreSQL wire protocol (user admin, password quest: QuestDB's local defaults). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + Ports.HOST + ":" + pgPort + "/qdb";
    }

    /** Where QuestDB's Prometheus endpoint listens, as host:port. */
    public String metricsAddress() {
        return Ports.HOST + ":" + metricsPort;
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        Ports.requireFree(httpPort, "QuestDB", "WATTFLOW_QUESTDB_PORT");
        Ports.requireFree(pgPort, "QuestDB's PostgreSQL protocol", "WATTFLOW_QUESTDB_PG_PORT");
        Ports.requireFree(metricsPort, "QuestDB's metrics", "WATTFLOW_QUESTDB_METRICS_PORT");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new StackException("cannot create " + root + ": " + e.getMessage(), e);
        }
        Map<String, String> environment = new HashMap<>(Map.of(
                "QDB_HTTP_BIND_TO", Ports.HOST + ":" + httpPort,
                "QDB_PG_NET_BIND_TO", Ports.HOST + ":" + pgPort,
                "QDB_LINE_TCP_ENABLED", "false",
                "QDB_LINE_UDP_ENABLED", "false",
                "QDB_HTTP_MIN_ENABLED", "true",
                "QDB_HTTP_MIN_NET_BIND_TO", Ports.HOST + ":" + metricsPort,
                "QDB_METRICS_ENABLED", "true",
                "QDB_TELEMETRY_ENABLED", "false"));
        // One thread per pool (network, query, write, WAL apply), asleep after 100 idle rounds instead of 10,000: by
        // default seven workers spin and yield between requests, half of QuestDB's CPU during a drain on cores it
        // shares with the whole stack. A sleeping worker wakes within a millisecond.
        for (String pool : List.of("QDB_SHARED_WORKER_", "QDB_WAL_APPLY_WORKER_")) {
            environment.put(pool + "COUNT", "1");
            environment.put(pool + "YIELD_THRESHOLD", "10");
            environment.put(pool + "NAP_THRESHOLD", "50");
            environment.put(pool + "SLEEP_THRESHOLD", "100");
            environment.put(pool + "SLEEP_TIMEOUT", "1");
        }
        List<String> command = List.of(StackLayout.javaBinary(), "-Xms128m", "-Xmx256m",
                "-Dwattflow.home=" + layout.home(),
                "-cp", StackLayout.classPathOf(layout.questDbLib()), "io.questdb.ServerMain", "-d", root.toString());
        process.start(command, environment, root, detached);
        process.awaitReady(this::answersPing, Duration.ofSeconds(90), "answering " + url() + "/ping");
        createSchema();
    }

    private boolean answersPing() {
        return HttpProbe.answers(url() + "/ping");
    }

    /** Applies {@code questdb/schema.sql}: one statement per line that is not a comment. */
    public void createSchema() {
        try (InputStream in = QuestDbServer.class.getResourceAsStream("/questdb/schema.sql")) {
            String schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String statement : Arrays.stream(schema.split("\n")).map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("--")).toList()) {
                execute(statement.replaceAll(";$", ""));
            }
        } catch (IOException e) {
            throw new StackException("cannot read the QuestDB schema: " + e.getMessage(), e);
        }
    }

    /** Runs one SQL statement over QuestDB's HTTP API and returns its JSON answer. */
    public String execute(String sql) {
        URI uri = URI.create(url() + "/exec?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8));
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new StackException("QuestDB rejected '" + sql + "': " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new StackException("QuestDB at " + url() + " did not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    public void stop() {
        process.stop(Duration.ofSeconds(20));
    }
}
