package io.wattflow.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Prometheus' PostgreSQL exporter (Debian package {@code prometheus-postgres-exporter}): the server's statistics and
 * the billing aggregates of {@code deploy/prometheus/postgres-exporter-queries.yml}, read as the least-privilege
 * monitoring role whose password it reads from a file.
 */
public final class PostgresExporter {
    private final StackLayout layout;
    private final int port;
    private final ManagedProcess process;

    public PostgresExporter(StackLayout layout, int port) {
        this.layout = layout;
        this.port = port;
        this.process = new ManagedProcess("postgres-exporter", layout.runDir(), layout.logDir());
    }

    public ManagedProcess process() {
        return process;
    }

    public String address() {
        return Ports.HOST + ":" + port;
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    public void start(PostgresServer postgres, boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("prometheus-postgres-exporter", "prometheus-postgres-exporter");
        Ports.requireFree(port, "the PostgreSQL exporter", "WATTFLOW_PG_EXPORTER_PORT");
        Map<String, String> environment = Map.of(
                "DATA_SOURCE_URI", Ports.HOST + ":" + postgres.port() + "/" + PostgresServer.DATABASE + "?sslmode=disable",
                "DATA_SOURCE_USER", PostgresServer.MONITOR_ROLE,
                "DATA_SOURCE_PASS_FILE", postgres.rolePasswordFile(PostgresServer.MONITOR_ROLE).toString());
        List<String> command = List.of(binary.toString(),
                "--web.listen-address=" + address(),
                "--extend.query-path=" + layout.deployDir().resolve("prometheus/postgres-exporter-queries.yml"));
        Path home = layout.dataDir("postgres-exporter");
        process.start(command, environment, home, detached);
        process.awaitReady(() -> HttpProbe.answers("http://" + address() + "/metrics"), Duration.ofSeconds(30),
                "GET http://" + address() + "/metrics");
    }

    public void stop() {
        process.stop(Duration.ofSeconds(10));
    }
}
