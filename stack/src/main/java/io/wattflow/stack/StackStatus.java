package io.wattflow.stack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every component of the local stack as {@code bin/wattflow status} shows it: a table for people, JSON for scripts
 * and tools (backup, chaos tests, monitoring set-up) that must find each process, its port and its data.
 */
public final class StackStatus {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One process. {@code kind}: object-store, postgres, kafka, zookeeper, questdb, flink-jobmanager, flink-taskmanager, billing-api,
     * load-balancer, exporter, alertmanager or prometheus. {@code role} where one applies, null while stopped or
     * unknown: {@code primary} (PostgreSQL), {@code controller} (the KRaft node that is the active controller),
     * {@code leader} or {@code standby} (JobManagers), {@code leader} or {@code follower} (ZooKeeper). {@code pid} null while stopped;
     * {@code port} null for a process without a fixed port (a TaskManager's are ephemeral).
     */
    public record Component(String name, String kind, String role, boolean running, Long pid, Integer port, String url, String dataDir) {
    }

    private StackStatus() {
    }

    public static List<Component> of(LocalStack stack) {
        Ports ports = stack.ports();
        StackLayout layout = stack.layout();
        List<Component> components = new ArrayList<>();
        ObjectStore objectStore = stack.objectStore();
        components.add(component("object store", "object-store", null, objectStore.process(), objectStore.httpPort(), objectStore.url(),
                objectStore.dataDir()));
        // in start order: ZooKeeper first in a highly available stack (Patroni and the JobManagers elect their leaders there)
        stack.zooKeeper().ifPresent(ensemble -> ensemble.nodes().forEach(node -> components.add(component(node.process().name(),
                "zookeeper", ZooKeeperEnsemble.mode(node).orElse(null), node.process(), node.clientPort(), node.address(), node.dataDir()))));
        Optional<PatroniCluster> patroni = stack.postgres().patroni();
        if (patroni.isPresent()) {
            for (PatroniCluster.Node node : patroni.get().nodes()) {
                components.add(component(node.name(), "postgres", PatroniCluster.role(node).orElse(null), node.process(), node.postgresPort(),
                        "jdbc:postgresql://" + Ports.HOST + ":" + node.postgresPort() + "/" + PostgresServer.DATABASE, node.dataDir()));
            }
        } else {
            components.add(component("PostgreSQL", "postgres", "primary", stack.postgres().process(), ports.postgres(),
                    stack.postgres().jdbcUrl(PostgresServer.DATABASE), layout.dataDir("postgres")));
        }
        // Every KRaft node is a broker and a controller voter; the one leading the metadata quorum is the active controller.
        KafkaCluster kafka = stack.kafka();
        Optional<Integer> activeController = kafka.activeController();
        for (KafkaBroker broker : kafka.brokers()) {
            String role = activeController.filter(leader -> leader == broker.nodeId()).map(leader -> "controller").orElse(null);
            components.add(component(kafka.brokers().size() == 1 ? "Kafka" : broker.process().name(), "kafka", role, broker.process(),
                    broker.port(), broker.bootstrapServers(), layout.dataDir(broker.process().name())));
        }
        components.add(component("QuestDB", "questdb", null, stack.questDb().process(), ports.questDbHttp(), stack.questDb().url(),
                layout.dataDir("questdb")));
        FlinkCluster flink = stack.flink();
        Optional<Integer> leader = flink.leadingJobManager();
        for (int n = 1; n <= flink.jobManagerCount(); n++) {
            String role = leader.isEmpty() ? null : leader.get() == n ? "leader" : "standby";
            ManagedProcess jobManager = flink.jobManager(n);
            components.add(component(jobManager.name(), "flink-jobmanager", role, jobManager, flink.restPort(n), flink.restUrl(n), flink.home()));
        }
        for (int i = 1; i <= FlinkCluster.TASK_MANAGERS; i++) {
            ManagedProcess taskManager = flink.taskManager(i);
            components.add(component(taskManager.name(), "flink-taskmanager", null, taskManager, null, flink.restUrl(), flink.home()));
        }
        ApiTier api = stack.api();
        for (BillingApiServer instance : api.instances()) {
            components.add(component(api.instances().size() == 1 ? "billing API" : instance.process().name(), "billing-api", null,
                    instance.process(), instance.port(), instance.url(), null));
        }
        api.loadBalancer().ifPresent(nginx -> components.add(component("NGINX", "load-balancer", null, nginx.process(), ports.api(),
                nginx.url(), null)));
        components.add(component("PostgreSQL exporter", "exporter", null, stack.postgresExporter().process(), ports.postgresExporter(),
                stack.postgresExporter().url() + "/metrics", null));
        components.add(component("node exporter", "exporter", null, stack.nodeExporter().process(), ports.nodeExporter(),
                stack.nodeExporter().url() + "/metrics", null));
        components.add(component("Alertmanager", "alertmanager", null, stack.alertmanager().process(), ports.alertmanager(),
                stack.alertmanager().url(), layout.dataDir("alertmanager")));
        components.add(component("Prometheus", "prometheus", null, stack.prometheus().process(), ports.prometheus(),
                stack.prometheus().url(), layout.dataDir("prometheus")));
        return components;
    }

    private static Component component(String name, String kind, String role, ManagedProcess process, Integer port, String url, Path dataDir) {
        Optional<ProcessHandle> running = process.running();
        return new Component(name, kind, running.isPresent() ? role : null, running.isPresent(),
                running.map(ProcessHandle::pid).orElse(null), port, url, dataDir == null ? null : dataDir.toString());
    }

    /** {@code {"components":[...]}}, one line. */
    public static String json(List<Component> components) {
        try {
            return JSON.writeValueAsString(Map.of("components", components));
        } catch (JsonProcessingException e) {
            throw new StackException("cannot write the status as JSON: " + e.getMessage(), e);
        }
    }
}
