package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * The stack's Kafka: one node ({@code bin/wattflow up}), or three ({@code up --ha}), each broker and controller voter,
 * every topic replicated three times with {@code min.insync.replicas=2} and unclean leader election off, so any one
 * node may die without losing an acknowledged reading or stopping producers and the job.
 */
public final class KafkaCluster {
    private final StackLayout layout;
    private final List<KafkaBroker> brokers;

    private KafkaCluster(StackLayout layout, List<KafkaBroker> brokers) {
        this.layout = layout;
        this.brokers = brokers;
    }

    public static KafkaCluster single(StackLayout layout, Ports ports) {
        return new KafkaCluster(layout, List.of(new KafkaBroker(layout, ports.kafka(), ports.kafkaController(), ports.kafkaMetrics())));
    }

    /** Three nodes: kafka-1, kafka-2, kafka-3. */
    public static KafkaCluster highlyAvailable(StackLayout layout, Ports ports) {
        int nodes = 3;
        List<String> voters = new ArrayList<>();
        List<String> bootstrap = new ArrayList<>();
        for (int n = 1; n <= nodes; n++) {
            voters.add(n + "@" + Ports.HOST + ":" + (ports.kafkaController() + Ports.HA_PORT_STEP * (n - 1)));
            bootstrap.add(Ports.HOST + ":" + (ports.kafka() + Ports.HA_PORT_STEP * (n - 1)));
        }
        List<KafkaBroker> brokers = new ArrayList<>();
        for (int n = 1; n <= nodes; n++) {
            int offset = Ports.HA_PORT_STEP * (n - 1);
            brokers.add(new KafkaBroker(layout, "kafka-" + n, n, ports.kafka() + offset, ports.kafkaController() + offset,
                    ports.kafkaMetrics() + offset, String.join(",", voters), nodes, String.join(",", bootstrap)));
        }
        return new KafkaCluster(layout, List.copyOf(brokers));
    }

    public List<KafkaBroker> brokers() {
        return brokers;
    }

    /** Every node's address: clients find the cluster through any that answers. */
    public String bootstrapServers() {
        return String.join(",", brokers.stream().map(KafkaBroker::bootstrapServers).toList());
    }

    public boolean isRunning() {
        return brokers.stream().allMatch(KafkaBroker::isRunning);
    }

    /** A running node, to talk to the cluster through. */
    public Optional<KafkaBroker> anyRunning() {
        return brokers.stream().filter(KafkaBroker::isRunning).findFirst();
    }

    /** Starts the nodes that are not running, together (none answers before a majority of voters runs), then waits for each. */
    public void start(boolean detached) {
        List<KafkaBroker> starting = brokers.stream().filter(broker -> !broker.isRunning()).toList();
        String clusterId = clusterId();
        starting.forEach(broker -> broker.launch(detached, clusterId));
        starting.forEach(KafkaBroker::awaitReady);
    }

    /** One cluster id for every node's storage, kept so a node formatted later (its data lost) joins the same cluster. */
    private String clusterId() {
        Path file = layout.dataDir("kafka-cluster").resolve("cluster.id");
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).strip();
            }
            String id = Uuid.randomUuid().toString();
            Files.createDirectories(file.getParent());
            Files.writeString(file, id, StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new StackException("cannot keep the Kafka cluster id in " + file + ": " + e.getMessage(), e);
        }
    }

    /** The node id of the active controller (the metadata quorum's leader); empty when no node answers. */
    public Optional<Integer> activeController() {
        if (anyRunning().isEmpty()) {
            return Optional.empty();
        }
        try (Admin admin = admin()) {
            return Optional.of(admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS).leaderId());
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    public void createTopics(List<KafkaBroker.TopicSpec> topics) {
        brokers.get(0).createTopics(topics);
    }

    public Admin admin() {
        return brokers.get(0).admin();
    }

    /** Stops every node, the last first; returns the names of those that were running. */
    public List<String> stop() {
        List<String> stopped = new ArrayList<>();
        for (int i = brokers.size() - 1; i >= 0; i--) {
            if (brokers.get(i).process().stop(Duration.ofSeconds(30))) {
                stopped.add(brokers.get(i).process().name());
            }
        }
        return stopped;
    }
}
