package io.wattflow.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * NGINX (Debian package {@code nginx}) as the load balancer in front of the API instances of {@code up --ha}: passive
 * health checks (an instance that fails is left out for 10 s) and safe requests retried on the other instance. It sets
 * X-Forwarded-For to the caller's address itself, so a client cannot pass one off as its own.
 */
public final class NginxServer extends HttpServerProcess {
    private final Path home;

    public NginxServer(StackLayout layout, int port) {
        super(layout, "nginx", port, "the load balancer (NGINX)", "WATTFLOW_API_PORT");
        this.home = layout.dataDir("nginx");
    }

    public void start(List<String> upstreams, boolean detached) {
        if (isRunning()) {
            return;
        }
        Path binary = DebianPackages.require("nginx", "nginx");
        try {
            for (String dir : List.of("logs", "tmp")) {
                Files.createDirectories(home.resolve(dir));
            }
            Files.writeString(home.resolve("nginx.conf"), configuration(upstreams));
        } catch (IOException e) {
            throw new StackException("cannot write NGINX's configuration to " + home + ": " + e.getMessage(), e);
        }
        start(List.of(binary.toString(), "-p", home.toString(), "-c", "nginx.conf", "-e", "logs/error.log"), Map.of(), home, detached,
                "/health/live");
    }

    String configuration(List<String> upstreams) {
        StringBuilder servers = new StringBuilder();
        upstreams.forEach(upstream -> servers.append("    server ").append(upstream).append(" max_fails=1 fail_timeout=10s;\n"));
        return """
                # Written by bin/wattflow up --ha: the load balancer in front of the billing API's instances.
                worker_processes 1;
                daemon off;
                pid nginx.pid;
                error_log logs/error.log warn;
                events { worker_connections 512; }
                http {
                  access_log logs/access.log;
                  client_body_temp_path tmp/body;
                  proxy_temp_path tmp/proxy;
                  fastcgi_temp_path tmp/fastcgi;
                  uwsgi_temp_path tmp/uwsgi;
                  scgi_temp_path tmp/scgi;
                  upstream billing_api {
                %s    keepalive 16;
                  }
                  server {
                    listen %s;
                    location / {
                      proxy_pass http://billing_api;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_set_header Host $host;
                      proxy_set_header X-Forwarded-For $remote_addr;
                      # GET, HEAD and the like go to the other instance when one fails; NGINX never repeats a POST that
                      # reached an instance (non_idempotent is not set): the client retries it with its Idempotency-Key.
                      proxy_next_upstream error timeout http_502 http_503;
                      proxy_next_upstream_tries 2;
                      proxy_connect_timeout 1s;
                      proxy_read_timeout 30s;
                    }
                  }
                }
                """.formatted(servers, address());
    }
}
