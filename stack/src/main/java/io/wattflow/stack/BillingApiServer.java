package io.wattflow.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The billing API as its own JVM, reading the stack's database as the read-only API role. */
public final class BillingApiServer {
    private final StackLayout layout;
    private final int port;
    private final ManagedProcess process;
    private final Map<String, String> settings = new HashMap<>();

    public BillingApiServer(StackLayout layout, int port) {
        this(layout, "billing-api", port);
    }

    /** @param name the process name, also the instance's id as the owner of billing-run leases */
    public BillingApiServer(StackLayout layout, String name, int port) {
        this.layout = layout;
        this.port = port;
        this.process = new ManagedProcess(name, layout.runDir(), layout.logDir());
    }

    /** One more WATTFLOW_* setting of the API (see docs/billing-api.md), for the next start. */
    public BillingApiServer with(String variable, String value) {
        settings.put(variable, value);
        return this;
    }

    public ManagedProcess process() {
        return process;
    }

    public String url() {
        return "http://" + address();
    }

    public int port() {
        return port;
    }

    public String address() {
        return Ports.HOST + ":" + port;
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    public void start(PostgresServer postgres, KafkaCluster kafka, Path adminTokenFile, boolean detached) {
        if (isRunning()) {
            return;
        }
        Ports.requireFree(port, "the billing API", "WATTFLOW_API_PORT");
        Map<String, String> environment = new HashMap<>(postgres.apiEnvironment());
        environment.put("WATTFLOW_API_HOST", Ports.HOST);
        environment.put("WATTFLOW_API_PORT", Integer.toString(port));
        environment.put("WATTFLOW_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        environment.put("WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE", adminTokenFile.toString());
        environment.putAll(settings);
        // The heap at its full size from the start: a young generation grown from a small one collects far more
        // often, and each collection copies the rows of every request under way (a bill is about 3,000 per meter).
        List<String> command = List.of(StackLayout.javaBinary(), "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC",
                "-Dwattflow.home=" + layout.home(), "-jar", layout.billingApiJar().toString());
        process.start(command, environment, layout.home(), detached);
        process.awaitReady(this::healthy, Duration.ofSeconds(60), "GET " + url() + "/health answering 200");
    }

    private boolean healthy() {
        return HttpProbe.answers(url() + "/health");
    }

    public void stop() {
        process.stop(Duration.ofSeconds(15));
    }
}
