package io.wattflow.stack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Prometheus' PostgreSQL exporter (Debian package {@code prometheus-postgres-exporter}): the server's statistics and
 * the billing aggregates of {@code deploy/prometheus/postgres-exporter-queries.yml}, read as the least-privilege
 * monitoring role whose password it reads from a file.
 */
public final class PostgresExporter extends HttpServerProcess {
    private final StackLayout layout;

    public PostgresExporter(StackLayout layout, int port) {
        super(layout, "postgres-exporter", port, "the PostgreSQL exporter", "WATTFLOW_PG_EXPORTER_PORT");
        this.layout = layout;
    }

    public void start(PostgresServer postgres, boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("prometheus-postgres-exporter", "prometheus-postgres-exporter");
        Map<String, String> environment = Map.of(
                "DATA_SOURCE_URI", Ports.HOST + ":" + postgres.port() + "/" + PostgresServer.DATABASE + "?sslmode=disable",
                "DATA_SOURCE_USER", PostgresServer.MONITOR_ROLE,
                "DATA_SOURCE_PASS_FILE", postgres.rolePasswordFile(PostgresServer.MONITOR_ROLE).toString());
        start(List.of(binary.toString(), "--web.listen-address=" + address(),
                        "--extend.query-path=" + layout.deployDir().resolve("prometheus/postgres-exporter-queries.yml")),
                environment, layout.dataDir("postgres-exporter"), detached, "/metrics");
    }
}
