package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;

/**
 * An Apache Kafka node in KRaft mode (broker and controller), as its own JVM, from the jars of {@code stack/dist-kafka}:
 * alone, or one of the three of {@link KafkaCluster#highlyAvailable}. Transactions work on one node (the transaction
 * state log has the cluster's replication factor and min ISR), and {@code transaction.max.timeout.ms} is above every
 * sink's {@code transaction.timeout.ms}.
 */
public final class KafkaBroker {
    /** The Flink sinks use 15 minutes; the broker allows up to one hour. */
    public static final long TRANSACTION_MAX_TIMEOUT_MS = Duration.ofHours(1).toMillis();

    private final StackLayout layout;
    private final int nodeId;
    private final int port;
    private final int controllerPort;
    private final int metricsPort;
    private final String quorumVoters;
    private final int clusterSize;
    private final String clusterBootstrap;
    private final ManagedProcess process;
    private final Path dataDir;

    /** A single-node cluster: this broker is its only controller voter. */
    public KafkaBroker(StackLayout layout, int port, int controllerPort, int metricsPort) {
        this(layout, "kafka", 1, port, controllerPort, metricsPort, "1@" + Ports.HOST + ":" + controllerPort, 1,
                Ports.HOST + ":" + port);
    }

    /**
     * One node of a KRaft cluster whose every node is broker and controller.
     *
     * @param name             its process and data folder name
     * @param quorumVoters     {@code controller.quorum.voters} of the cluster
     * @param clusterSize      nodes in the cluster: replication factor of every topic (3 at most), min ISR 2 from 3 nodes
     * @param clusterBootstrap every node's client address, for the admin client
     */
    KafkaBroker(StackLayout layout, String name, int nodeId, int port, int controllerPort, int metricsPort, String quorumVoters,
                int clusterSize, String clusterBootstrap) {
        this.layout = layout;
        this.nodeId = nodeId;
        this.port = port;
        this.controllerPort = controllerPort;
        this.metricsPort = metricsPort;
        this.quorumVoters = quorumVoters;
        this.clusterSize = clusterSize;
        this.clusterBootstrap = clusterBootstrap;
        this.process = new ManagedProcess(name, layout.runDir(), layout.logDir());
        this.dataDir = layout.dataDir(name);
    }

    /** Copies of every topic's partitions: the cluster's size, three at most. */
    public short replicationFactor() {
        return (short) Math.min(3, clusterSize);
    }

    /** Replicas that must have a write before it is acknowledged (acks=all): 2 of 3, else 1. */
    public int minInSyncReplicas() {
        return clusterSize >= 3 ? 2 : 1;
    }

    public int nodeId() {
        return nodeId;
    }

    public int port() {
        return port;
    }

    public ManagedProcess process() {
        return process;
    }

    public String bootstrapServers() {
        return Ports.HOST + ":" + port;
    }

    /** Where the broker's Prometheus endpoint listens, as host:port. */
    public String metricsAddress() {
        return Ports.HOST + ":" + metricsPort;
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        launch(detached, Uuid.randomUuid().toString());
        awaitReady();
    }

    /**
     * Starts the process without waiting for it to answer: the nodes of a cluster start together, since none answers
     * before a majority of the controller voters runs. Storage is formatted on first start with {@code clusterId}.
     */
    void launch(boolean detached, String clusterId) {
        Ports.requireFree(port, "Kafka", "WATTFLOW_KAFKA_PORT");
        Ports.requireFree(controllerPort, "the Kafka controller", "WATTFLOW_KAFKA_CONTROLLER_PORT");
        Ports.requireFree(metricsPort, "Kafka's metrics", "WATTFLOW_KAFKA_METRICS_PORT");
        try {
            Files.createDirectories(dataDir);
            Path properties = dataDir.resolve("server.properties");
            Files.writeString(properties, serverProperties(), StandardCharsets.UTF_8);
            String classPath = StackLayout.classPathOf(layout.kafkaLib());
            if (!Files.exists(dataDir.resolve("logs/meta.properties"))) {
                format(classPath, properties, clusterId);
            }
            Path log4j = dataDir.resolve("log4j2.properties");
            Files.writeString(log4j, LOG4J, StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of(StackLayout.javaBinary(),
                    "-Xms128m", "-Xmx256m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
                    // Kafka exports only JMX: Prometheus' JMX exporter agent serves it over HTTP, with the rules in deploy/.
                    "-javaagent:" + layout.kafkaMetricsAgent() + "=" + Ports.HOST + ":" + metricsPort + ":"
                            + layout.deployDir().resolve("prometheus/kafka-jmx-exporter.yml"),
                    "-Dlog4j2.configurationFile=file:" + log4j,
                    "-Dkafka.logs.dir=" + layout.logDir(),
                    "-Dwattflow.home=" + layout.home(),
                    "-cp", classPath, "kafka.Kafka", properties.toString()));
            process.start(command, Map.of(), dataDir, detached);
        } catch (IOException e) {
            throw new StackException("cannot prepare Kafka in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    void awaitReady() {
        process.awaitReady(this::answers, Duration.ofSeconds(90), "answering on " + bootstrapServers());
    }

    /** KRaft wants a base64 UUID as cluster id, the same on every node of a cluster. */
    private void format(String classPath, Path properties, String clusterId) throws IOException {
        Process formatter = new ProcessBuilder(StackLayout.javaBinary(), "-Xmx128m", "-cp", classPath,
                "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", properties.toString())
                .redirectErrorStream(true).start();
        String output = new String(formatter.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!formatter.waitFor(120, TimeUnit.SECONDS) || formatter.exitValue() != 0) {
                throw new StackException("formatting Kafka storage in " + dataDir + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while formatting Kafka storage");
        }
    }

    String serverProperties() {
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + nodeId,
                "controller.quorum.voters=" + quorumVoters,
                "listeners=PLAINTEXT://" + Ports.HOST + ":" + port + ",CONTROLLER://" + Ports.HOST + ":" + controllerPort,
                "advertised.listeners=PLAINTEXT://" + Ports.HOST + ":" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dataDir.resolve("logs"),
                "num.partitions=2",
                "offsets.topic.replication.factor=" + replicationFactor(),
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=" + replicationFactor(),
                "transaction.state.log.min.isr=" + minInSyncReplicas(),
                "default.replication.factor=" + replicationFactor(),
                "min.insync.replicas=" + minInSyncReplicas(),
                // a replica that was not in sync never becomes leader: that would drop acknowledged readings
                "unclean.leader.election.enable=false",
                "transaction.state.log.num.partitions=4",
                "transaction.max.timeout.ms=" + TRANSACTION_MAX_TIMEOUT_MS,
                "share.coordinator.state.topic.replication.factor=" + replicationFactor(),
                "share.coordinator.state.topic.min.isr=" + minInSyncReplicas(),
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                // the default 128 MiB dedupe buffer does not fit the small heap of a laptop stack
                "log.cleaner.dedupe.buffer.size=4194304",
                "log.retention.check.interval.ms=300000",
                "");
    }

    private boolean answers() {
        if (!Ports.isOpen(port)) {
            return false;
        }
        try (Admin admin = admin()) {
            // this node is up when the cluster lists it among its live brokers
            return admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).stream().anyMatch(node -> node.id() == nodeId);
        } catch (Exception e) {
            return false;
        }
    }

    public Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, clusterBootstrap);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "wattflow-stack-" + UUID.randomUUID());
        return Admin.create(properties);
    }

    /**
     * Creates the topics that do not exist yet; existing ones keep their partitions and data and get the spec's
     * configuration (so a stack created by an older version gets today's limits at its next start).
     */
    public void createTopics(List<TopicSpec> topics) {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), t.partitions(), replicationFactor()).configs(t.configs())).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
            }
            Map<ConfigResource, Collection<AlterConfigOp>> changes = new HashMap<>();
            for (TopicSpec topic : topics) {
                if (existing.contains(topic.name()) && !topic.configs().isEmpty()) {
                    changes.put(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()), topic.configs().entrySet().stream()
                            .map(entry -> new AlterConfigOp(new ConfigEntry(entry.getKey(), entry.getValue()), AlterConfigOp.OpType.SET))
                            .toList());
                }
            }
            if (!changes.isEmpty()) {
                admin.incrementalAlterConfigs(changes).all().get(60, TimeUnit.SECONDS);
            }
            awaitLeaders(admin, topics.stream().map(TopicSpec::name).toList(), Duration.ofSeconds(60));
        } catch (ExecutionException | TimeoutException e) {
            throw new StackException("cannot create Kafka topics: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while creating topics");
        }
    }

    /**
     * Waits until every partition of the topics has a leader. A created topic is answered before its partitions are
     * led, and a producer that meets a partition without a leader holds its records until the leader comes or its
     * delivery timeout ends: on a busy machine that can take long enough to fail a test or a first demo. A node whose
     * metadata has not caught up with the creation yet is asked again.
     */
    private static void awaitLeaders(Admin admin, List<String> topics, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> leaderless = new ArrayList<>();
            try {
                for (var topic : admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                    topic.partitions().stream().filter(partition -> partition.leader() == null || partition.leader().isEmpty())
                            .forEach(partition -> leaderless.add(topic.name() + "-" + partition.partition()));
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
                // A node that answers before the new topics reached its metadata says UnknownTopicOrPartition: seen
                // with three nodes on a busy machine, right after the creation succeeded.
                leaderless.add(e.getCause().getClass().getSimpleName());
            }
            if (leaderless.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new StackException("Kafka partitions without a leader after " + timeout.toSeconds() + " s: " + leaderless);
            }
            Thread.sleep(100);
        }
    }

    public void stop() {
        process.stop(Duration.ofSeconds(30));
    }

    /** A topic with an explicit partition count and its configuration. */
    public record TopicSpec(String name, int partitions, Map<String, String> configs) {
    }

    /** The largest record batch the readings topic takes (Kafka's default, stated so the dead-letter topic can follow it). */
    public static final int READINGS_MAX_MESSAGE_BYTES = 1_048_588;
    /**
     * The dead-letter topic takes any record the readings topic took plus the reason headers; the metering job's
     * {@code kafka.dead-letter-max-bytes} (its producer's max.request.size) has the same default.
     */
    public static final int DEAD_LETTER_MAX_MESSAGE_BYTES = 1_179_648;

    /** The configuration of a readings topic: its size limit, and no record timestamp more than an hour ahead. */
    public static Map<String, String> readingsTopicConfig(Duration retention) {
        // A producer's record timestamp is the clock of a meter's rules: one far in the future would make every later
        // reading of that meter too late, so the broker refuses it (message.timestamp.after.max.ms, KIP-937).
        return Map.of("retention.ms", Long.toString(retention.toMillis()),
                "max.message.bytes", Integer.toString(READINGS_MAX_MESSAGE_BYTES),
                "message.timestamp.after.max.ms", Long.toString(Duration.ofHours(1).toMillis()));
    }

    /** The configuration of a dead-letter topic. */
    public static Map<String, String> deadLetterTopicConfig(Duration retention) {
        return Map.of("retention.ms", Long.toString(retention.toMillis()),
                "max.message.bytes", Integer.toString(DEAD_LETTER_MAX_MESSAGE_BYTES));
    }

    /**
     * The stack's topics. {@code readings} is kept 14 days: the pipeline's lateness horizon (7 days) plus a margin,
     * so a job restored from an old savepoint can still replay everything it may need.
     */
    public static List<TopicSpec> wattflowTopics() {
        return List.of(
                new TopicSpec("readings", 4, readingsTopicConfig(Duration.ofDays(14))),
                new TopicSpec("readings.dlq", 2, deadLetterTopicConfig(Duration.ofDays(30))),
                new TopicSpec("billing.events", 2, Map.of("retention.ms", Long.toString(Duration.ofDays(30).toMillis()))));
    }

    private static final String LOG4J = String.join("\n",
            "rootLogger.level = WARN",
            "rootLogger.appenderRef.stdout.ref = STDOUT",
            "appender.stdout.type = Console",
            "appender.stdout.name = STDOUT",
            "appender.stdout.layout.type = PatternLayout",
            "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
            "logger.kafka.name = kafka",
            "logger.kafka.level = INFO",
            "logger.server.name = org.apache.kafka.server",
            "logger.server.level = INFO",
            "");
}
