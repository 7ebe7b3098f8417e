package io.wattflow.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The billing API as its own JVM, reading the stack's database as the read-only API role. */
public final class BillingApiServer {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final StackLayout layout;
    private final int port;
    private final ManagedProcess process;

    public BillingApiServer(StackLayout layout, int port) {
        this.layout = layout;
        this.port = port;
        this.process = new ManagedProcess("billing-api", layout.runDir(), layout.logDir());
    }

    public ManagedProcess process() {
        return process;
    }

    public String url() {
        return "http://" + Ports.HOST + ":" + port;
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    public void start(PostgresServer postgres, boolean detached) {
        if (isRunning()) {
            return;
        }
        Ports.requireFree(port, "the billing API", "WATTFLOW_API_PORT");
        Map<String, String> environment = new HashMap<>(postgres.apiEnvironment());
        environment.put("WATTFLOW_API_HOST", Ports.HOST);
        environment.put("WATTFLOW_API_PORT", Integer.toString(port));
        List<String> command = List.of(StackLayout.javaBinary(), "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC",
                "-Dwattflow.home=" + layout.home(), "-jar", layout.billingApiJar().toString());
        process.start(command, environment, layout.home(), detached);
        process.awaitReady(this::healthy, Duration.ofSeconds(60), "GET " + url() + "/health answering 200");
    }

    private boolean healthy() {
        try {
            HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public void stop() {
        process.stop(Duration.ofSeconds(15));
    }
}
