package io.wattflow.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
                "-Dwattflow.home=" + layout.home(), "-jar", runnableCopy().toString());
        start(command, environment, layout.home(), detached, "/health");
    }

    /**
     * The built jar, copied for this instance to {@code run/<name>.jar} and moved into place in one step. The API runs
     * from the copy: a build writes {@code billing-api/target/*-all.jar} in place, and a JVM whose jar is rewritten under
     * it fails to load its next class (seen: every request thread spinning in Javalin's exception mapper after a
     * rebuild during a benchmark). A rename leaves the running instance's file as it was.
     */
    private Path runnableCopy() {
        Path copy = layout.runDir().resolve(process().name() + ".jar");
        Path partial = layout.runDir().resolve(process().name() + ".jar.partial");
        try {
            Files.createDirectories(layout.runDir());
            Files.copy(layout.billingApiJar(), partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return copy;
        } catch (IOException e) {
            throw new StackException("cannot copy the billing API's jar to " + copy + ": " + e.getMessage(), e);
        }
    }
}
