package io.wattflow.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Prometheus' node exporter (Debian package {@code prometheus-node-exporter}), with only the filesystem collector: the
 * free space of the disks that hold Kafka's logs, PostgreSQL, checkpoints and the stack's data.
 */
public final class NodeExporter {
    private final StackLayout layout;
    private final int port;
    private final ManagedProcess process;

    public NodeExporter(StackLayout layout, int port) {
        this.layout = layout;
        this.port = port;
        this.process = new ManagedProcess("node-exporter", layout.runDir(), layout.logDir());
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

    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("prometheus-node-exporter", "prometheus-node-exporter");
        Ports.requireFree(port, "the node exporter", "WATTFLOW_NODE_EXPORTER_PORT");
        List<String> command = List.of(binary.toString(), "--web.listen-address=" + address(),
                "--collector.disable-defaults", "--collector.filesystem");
        process.start(command, Map.of(), layout.dataDir("node-exporter"), detached);
        process.awaitReady(() -> HttpProbe.answers("http://" + address() + "/metrics"), Duration.ofSeconds(30),
                "GET http://" + address() + "/metrics");
    }
}
