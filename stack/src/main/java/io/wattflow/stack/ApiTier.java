package io.wattflow.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The billing API as the stack runs it: one instance ({@code up}), or two behind NGINX ({@code up --ha}), where
 * NGINX takes the API's port and instance {@code n} listens {@link Ports#HA_PORT_STEP}{@code * n} above it.
 */
public final class ApiTier {
    private final List<BillingApiServer> instances;
    private final NginxServer loadBalancer;

    private ApiTier(List<BillingApiServer> instances, NginxServer loadBalancer) {
        this.instances = instances;
        this.loadBalancer = loadBalancer;
    }

    public static ApiTier single(StackLayout layout, Ports ports) {
        return new ApiTier(List.of(new BillingApiServer(layout, ports.api())), null);
    }

    public static ApiTier highlyAvailable(StackLayout layout, Ports ports) {
        List<BillingApiServer> instances = new ArrayList<>();
        for (int n = 1; n <= 2; n++) {
            instances.add(new BillingApiServer(layout, "billing-api-" + n, ports.api() + Ports.HA_PORT_STEP * n));
        }
        return new ApiTier(List.copyOf(instances), new NginxServer(layout, ports.api()));
    }

    public List<BillingApiServer> instances() {
        return instances;
    }

    public Optional<NginxServer> loadBalancer() {
        return Optional.ofNullable(loadBalancer);
    }

    /** Where clients call the API: the load balancer when there is one. */
    public String url() {
        return loadBalancer != null ? loadBalancer.url() : instances.get(0).url();
    }

    /** One more WATTFLOW_* setting for every instance's next start. */
    public ApiTier with(String variable, String value) {
        instances.forEach(instance -> instance.with(variable, value));
        return this;
    }

    public boolean isRunning() {
        return instances.stream().allMatch(BillingApiServer::isRunning) && (loadBalancer == null || loadBalancer.isRunning());
    }

    public void start(PostgresServer postgres, KafkaCluster kafka, Path adminTokenFile, boolean detached) {
        for (BillingApiServer instance : instances) {
            if (loadBalancer != null) {
                // each instance owns billing-run leases under its own name; NGINX on this machine is the only proxy
                instance.with("WATTFLOW_INSTANCE_ID", instance.process().name()).with("WATTFLOW_TRUSTED_PROXIES", Ports.HOST);
            }
            instance.start(postgres, kafka, adminTokenFile, detached);
        }
        if (loadBalancer != null) {
            loadBalancer.start(instances.stream().map(BillingApiServer::address).toList(), detached);
        }
    }

    /** Stops the load balancer first, then the instances; returns the names of what was running. */
    public List<String> stop() {
        List<String> stopped = new ArrayList<>();
        if (loadBalancer != null && loadBalancer.process().stop(Duration.ofSeconds(15))) {
            stopped.add(loadBalancer.process().name());
        }
        for (BillingApiServer instance : instances) {
            if (instance.process().stop(Duration.ofSeconds(15))) {
                stopped.add(instance.process().name().equals("billing-api") ? "billing API" : instance.process().name());
            }
        }
        return stopped;
    }
}
