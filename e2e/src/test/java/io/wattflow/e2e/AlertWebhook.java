package io.wattflow.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A webhook receiver for Alertmanager, as a pager's would be: keeps every notification it is sent. */
final class AlertWebhook implements AutoCloseable {
    private final HttpServer server;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();

    private AlertWebhook(HttpServer server) {
        this.server = server;
    }

    static AlertWebhook start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        AlertWebhook webhook = new AlertWebhook(server);
        server.createContext("/alerts", exchange -> {
            try (exchange) {
                webhook.received.add(E2eStack.JSON.readTree(exchange.getRequestBody()));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        server.start();
        return webhook;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/alerts";
    }

    /** Every notification so far, oldest first. */
    List<JsonNode> received() {
        return List.copyOf(received);
    }

    /** The first alert named {@code alertname} in {@code status} among the notifications from index {@code from} on. */
    JsonNode find(int from, String alertname, String status) {
        List<JsonNode> all = received();
        for (JsonNode notification : all.subList(Math.min(from, all.size()), all.size())) {
            for (JsonNode alert : notification.path("alerts")) {
                if (alertname.equals(alert.path("labels").path("alertname").asText()) && status.equals(alert.path("status").asText())) {
                    return alert;
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
