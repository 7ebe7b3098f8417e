package io.wattflow.stack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Prometheus' node exporter (Debian package {@code prometheus-node-exporter}), with only the filesystem collector: the
 * free space of the disks that hold Kafka's logs, PostgreSQL, checkpoints and the stack's data.
 */
public final class NodeExporter extends HttpServerProcess {
    private final StackLayout layout;

    public NodeExporter(StackLayout layout, int port) {
        super(layout, "node-exporter", port, "the node exporter", "WATTFLOW_NODE_EXPORTER_PORT");
        this.layout = layout;
    }

    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("prometheus-node-exporter", "prometheus-node-exporter");
        start(List.of(binary.toString(), "--web.listen-address=" + address(), "--collector.disable-defaults", "--collector.filesystem"),
                Map.of(), layout.dataDir("node-exporter"), detached, "/metrics");
    }
}
