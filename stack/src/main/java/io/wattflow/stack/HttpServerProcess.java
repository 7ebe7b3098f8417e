package io.wattflow.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A server of the stack that is one plain process on one port of {@link Ports#HOST}, ready when an HTTP path answers:
 * what the billing API, NGINX, Prometheus, Alertmanager and the exporters have in common.
 */
public abstract class HttpServerProcess {
    private final ManagedProcess process;
    private final int port;
    private final String component;
    private final String portVariable;

    /**
     * @param component    what the port is for, in the message when another program holds it
     * @param portVariable the variable that moves it
     */
    protected HttpServerProcess(StackLayout layout, String name, int port, String component, String portVariable) {
        this.process = new ManagedProcess(name, layout.runDir(), layout.logDir());
        this.port = port;
        this.component = component;
        this.portVariable = portVariable;
    }

    public ManagedProcess process() {
        return process;
    }

    public int port() {
        return port;
    }

    public String address() {
        return Ports.HOST + ":" + port;
    }

    public String url() {
        return "http://" + address();
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    /** Starts the command and waits until GET {@code readyPath} answers 200 (a minute at most). */
    protected void start(List<String> command, Map<String, String> environment, Path workDir, boolean detached, String readyPath) {
        Ports.requireFree(port, component, portVariable);
        process.start(command, environment, workDir, detached);
        process.awaitReady(() -> HttpProbe.answers(url() + readyPath), Duration.ofSeconds(60), "GET " + url() + readyPath);
    }

    public void stop() {
        process.stop(Duration.ofSeconds(15));
    }
}
