package io.wattflow.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Alertmanager (Debian package {@code prometheus-alertmanager}) as a plain process, without clustering. Alerts are
 * grouped by name and sent to the webhook of {@code WATTFLOW_ALERT_WEBHOOK_URL} (firing and resolved) when it is
 * set; without it they are only shown by Alertmanager's API and UI.
 */
public final class AlertmanagerServer extends HttpServerProcess {
    private final Path home;
    private final String webhookUrl;

    public AlertmanagerServer(StackLayout layout, int port, String webhookUrl) {
        super(layout, "alertmanager", port, "Alertmanager", "WATTFLOW_ALERTMANAGER_PORT");
        this.home = layout.dataDir("alertmanager");
        this.webhookUrl = webhookUrl == null || webhookUrl.isBlank() ? null : webhookUrl.strip();
    }

    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("prometheus-alertmanager", "prometheus-alertmanager");
        Path config = home.resolve("alertmanager.yml");
        YamlFiles.write(config, "Written by bin/wattflow; the webhook is WATTFLOW_ALERT_WEBHOOK_URL.", configuration());
        List<String> command = List.of(binary.toString(),
                "--config.file=" + config,
                "--storage.path=" + home.resolve("data"),
                "--web.listen-address=" + address(),
                // one instance: no gossip port (it would bind 9094 on every interface)
                "--cluster.listen-address=");
        start(command, Map.of(), home, detached, "/-/ready");
    }

    Map<String, Object> configuration() {
        Map<String, Object> receiver = new LinkedHashMap<>();
        receiver.put("name", "operators");
        if (webhookUrl != null) {
            receiver.put("webhook_configs", List.of(Map.of("url", webhookUrl, "send_resolved", true)));
        }
        Map<String, Object> route = new LinkedHashMap<>();
        route.put("receiver", "operators");
        route.put("group_by", List.of("alertname"));
        route.put("group_wait", "5s");
        route.put("group_interval", "10s");
        route.put("repeat_interval", "4h");
        return Map.of("route", route, "receivers", List.of(receiver));
    }

}
