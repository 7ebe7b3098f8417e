package io.wattflow.stack;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The billing API as its own JVM, reading the stack's database as the read-only API role. */
public final class BillingApiServer extends HttpServerProcess {
    private final StackLayout layout;
    private final Map<String, String> settings = new HashMap<>();

    public BillingApiServer(StackLayout layout, int port) {
        this(layout, "billing-api", port);
    }

    /** @param name the process name, also the instance's id as the owner of billing-run leases */
    public BillingApiServer(StackLayout layout, String name, int port) {
        super(layout, name, port, "the billing API", "WATTFLOW_API_PORT");
        this.layout = layout;
    }

    /** One more WATTFLOW_* setting of the API (see docs/billing-api.md), for the next start. */
    public BillingApiServer with(String variable, String value) {
        settings.put(variable, value);
        return this;
    }

    public void start(PostgresServer postgres, KafkaCluster kafka, Path adminTokenFile, boolean detached) {
        if (isRunning()) {
            return;
        }
        Map<String, String> environment = new HashMap<>(postgres.apiEnvironment());
        environment.put("WATTFLOW_API_HOST", Ports.HOST);
        environment.put("WATTFLOW_API_PORT", Integer.toString(port()));
        environment.put("WATTFLOW_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        environment.put("WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE", adminTokenFile.toString());
        environment.putAll(settings);
        // The heap at its full size from the start: a young generation grown from a small one collects far more
        // often, and each collection copies the rows of every request under way (a bill is about 3,000 per meter).
        List<String> command = List.of(StackLayout.javaBinary(), "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC",
                "-Dwattflow.home=" + layout.home(), "-jar", layout.billingApiJar().toString());
        start(command, environment, layout.home(), detached, "/health");
    }
}
