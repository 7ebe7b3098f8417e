package io.wattflow.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus (Debian package {@code prometheus}) as a plain process: scrapes every component of the stack, evaluates
 * the rules of {@code deploy/prometheus/rules/} and sends alerts to the stack's Alertmanager. Its configuration is
 * generated for the stack's ports; its data is kept for a day.
 */
public final class PrometheusServer extends HttpServerProcess {
    /** How often every target is scraped and every rule evaluated on the local stack. */
    public static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A scrape job: the name Prometheus labels its series with ({@code job}) and the addresses it scrapes. */
    public record ScrapeJob(String name, String metricsPath, List<String> targets) {
    }

    private final StackLayout layout;
    private final Path home;

    public PrometheusServer(StackLayout layout, int port) {
        super(layout, "prometheus", port, "Prometheus", "WATTFLOW_PROMETHEUS_PORT");
        this.layout = layout;
        this.home = layout.dataDir("prometheus");
    }

    /** Writes the configuration for these targets; a running Prometheus reloads it (a new target, say). */
    public void configure(List<ScrapeJob> jobs, String alertmanagerAddress) {
        YamlFiles.write(config(), "Written by bin/wattflow for this stack's ports; the rules are deploy/prometheus/rules/.",
                configuration(jobs, alertmanagerAddress));
        if (isRunning()) {
            reload();
        }
    }

    /** Starts Prometheus with the configuration {@link #configure} wrote. */
    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("prometheus", "prometheus");
        List<String> command = List.of(binary.toString(),
                "--config.file=" + config(),
                "--storage.tsdb.path=" + home.resolve("data"),
                "--storage.tsdb.retention.time=1d",
                "--web.listen-address=" + address(),
                "--web.enable-lifecycle");
        start(command, Map.of(), home, detached, "/-/ready");
    }

    private Path config() {
        return home.resolve("prometheus.yml");
    }

    private void reload() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/-/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new StackException("Prometheus rejected its new configuration: " + response.body().strip());
            }
        } catch (IOException e) {
            throw new StackException("Prometheus at " + url() + " did not answer a reload: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    Map<String, Object> configuration(List<ScrapeJob> jobs, String alertmanagerAddress) {
        String interval = SCRAPE_INTERVAL.toSeconds() + "s";
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("global", Map.of("scrape_interval", interval, "evaluation_interval", interval, "scrape_timeout", interval));
        config.put("rule_files", List.of(layout.deployDir().resolve("prometheus/rules").toString() + "/*.yml"));
        config.put("alerting", Map.of("alertmanagers", List.of(Map.of("static_configs", List.of(Map.of("targets", List.of(alertmanagerAddress)))))));
        // a job without targets (Patroni's on the small stack) is left out rather than written empty
        config.put("scrape_configs", jobs.stream().filter(job -> !job.targets().isEmpty()).map(job -> Map.of(
                "job_name", job.name(),
                "metrics_path", job.metricsPath(),
                "static_configs", List.of(Map.of("targets", job.targets())))).toList());
        return config;
    }

}
