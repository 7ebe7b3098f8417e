package io.wattflow.stack;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every component of the local stack, in start order. {@code up} starts only what is not running, so it is safe
 * to run again and brings back a component that died (a killed TaskManager, say).
 */
public final class LocalStack {
    public static final String JOB_NAME = "wattflow-metering";

    private final StackLayout layout;
    private final Ports ports;
    private final boolean detached;
    private final PostgresServer postgres;
    private final Topology topology;
    private final KafkaCluster kafka;
    private final ZooKeeperEnsemble zooKeeper;
    private final ObjectStore objectStore;
    private final QuestDbServer questDb;
    private final FlinkCluster flink;
    private final ApiTier api;
    private final PostgresExporter postgresExporter;
    private final NodeExporter nodeExporter;
    private final AlertmanagerServer alertmanager;
    private final PrometheusServer prometheus;
    private final Secrets secrets;

    /**
     * What {@code up} starts. {@code SMALL}: one of each component. {@code HIGHLY_AVAILABLE} ({@code up --ha}): no single
     * point of failure where the stack provides one yet (today: three Kafka nodes, two Flink JobManagers electing their
     * leader in a three-node ZooKeeper ensemble, two API instances behind NGINX; docs/operations.md).
     */
    public enum Topology {
        SMALL, HIGHLY_AVAILABLE
    }

    /** The stack in {@code layout.home()}, in the topology it was started in (small when it never was). */
    public LocalStack(StackLayout layout, Ports ports, boolean detached) {
        this(layout, ports, detached, recordedTopology(layout));
    }

    public LocalStack(StackLayout layout, Ports ports, boolean detached, Topology topology) {
        this.layout = layout;
        this.ports = ports;
        this.detached = detached;
        this.topology = topology;
        this.kafka = topology == Topology.HIGHLY_AVAILABLE ? KafkaCluster.highlyAvailable(layout, ports) : KafkaCluster.single(layout, ports);
        this.objectStore = new ObjectStore(layout, ports.objectStore());
        this.zooKeeper = topology == Topology.HIGHLY_AVAILABLE ? new ZooKeeperEnsemble(layout, ports.zooKeeper()) : null;
        // Backups and the WAL archive (pgBackRest) for the single server; Patroni's nodes are not archived yet (docs/operations.md)
        this.postgres = zooKeeper != null ? PostgresServer.highlyAvailable(layout, ports, zooKeeper)
                : new PostgresServer(layout, ports.postgres()).archivingTo(new PgBackRest(layout, objectStore));
        this.questDb = new QuestDbServer(layout, ports.questDbHttp(), ports.questDbPg(), ports.questDbMetrics());
        this.flink = (zooKeeper != null ? FlinkCluster.highlyAvailable(layout, ports, zooKeeper)
                : new FlinkCluster(layout, ports.flinkRest(), ports.flinkRpc(), ports.flinkMetrics())).stateIn(objectStore);
        this.api = topology == Topology.HIGHLY_AVAILABLE ? ApiTier.highlyAvailable(layout, ports) : ApiTier.single(layout, ports);
        this.postgresExporter = new PostgresExporter(layout, ports.postgresExporter());
        this.nodeExporter = new NodeExporter(layout, ports.nodeExporter());
        this.alertmanager = new AlertmanagerServer(layout, ports.alertmanager(), System.getenv("WATTFLOW_ALERT_WEBHOOK_URL"));
        this.prometheus = new PrometheusServer(layout, ports.prometheus());
        this.secrets = new Secrets(layout.secretsDir());
    }

    public StackLayout layout() {
        return layout;
    }

    public PostgresServer postgres() {
        return postgres;
    }

    /** Whether this stack's processes outlive the launcher (bin/wattflow) or die with it (tests, the campaign, the drill). */
    public boolean detached() {
        return detached;
    }

    public Topology topology() {
        return topology;
    }

    /** The topology {@code up} recorded in the stack's home; small when there is none. */
    public static Topology recordedTopology(StackLayout layout) {
        try {
            Path file = layout.runDir().resolve("topology");
            return Files.exists(file) ? Topology.valueOf(Files.readString(file).strip()) : Topology.SMALL;
        } catch (IOException | IllegalArgumentException e) {
            throw new StackException("cannot read the stack's topology in " + layout.runDir() + ": " + e.getMessage(), e);
        }
    }

    private void recordTopology() {
        try {
            Files.createDirectories(layout.runDir());
            Files.writeString(layout.runDir().resolve("topology"), topology.name());
        } catch (IOException e) {
            throw new StackException("cannot record the stack's topology in " + layout.runDir() + ": " + e.getMessage(), e);
        }
    }

    /** The versioned object store: checkpoints, savepoints, WAL archive, backups. */
    public ObjectStore objectStore() {
        return objectStore;
    }

    public KafkaCluster kafka() {
        return kafka;
    }

    /** The ZooKeeper ensemble of a highly available stack. */
    public Optional<ZooKeeperEnsemble> zooKeeper() {
        return Optional.ofNullable(zooKeeper);
    }

    public QuestDbServer questDb() {
        return questDb;
    }

    public FlinkCluster flink() {
        return flink;
    }

    public ApiTier api() {
        return api;
    }

    public PostgresExporter postgresExporter() {
        return postgresExporter;
    }

    public NodeExporter nodeExporter() {
        return nodeExporter;
    }

    public AlertmanagerServer alertmanager() {
        return alertmanager;
    }

    public PrometheusServer prometheus() {
        return prometheus;
    }

    public void up(PrintStream out) {
        Topology running = recordedTopology(layout);
        if (running != topology && postgres.isRunning()) {
            throw new StackException("the stack in " + layout.home() + " runs " + (running == Topology.SMALL ? "small" : "highly available")
                    + ": stop it with bin/wattflow down first, or set WATTFLOW_HOME to another folder");
        }
        recordTopology();
        // first: PostgreSQL archives its WAL there, the Flink cluster keeps the job's state there
        step(out, "object store", objectStore.isRunning(), () -> objectStore.start(detached));
        if (zooKeeper != null) {
            // first: the JobManagers and Patroni elect their leaders in it
            step(out, "ZooKeeper (" + ZooKeeperEnsemble.NODES + " nodes)", zooKeeper.isRunning(), () -> zooKeeper.start(detached));
        }
        step(out, postgres.patroni().isPresent() ? "PostgreSQL (primary and synchronous standby, Patroni)" : "PostgreSQL",
                postgres.isRunning(), () -> postgres.start(detached));
        step(out, kafka.brokers().size() == 1 ? "Kafka" : "Kafka (" + kafka.brokers().size() + " nodes)", kafka.isRunning(),
                () -> kafka.start(detached));
        kafka.createTopics(KafkaBroker.wattflowTopics());
        step(out, "QuestDB", questDb.isRunning(), () -> questDb.start(detached));
        boolean flinkComplete = flink.processes().stream().allMatch(ManagedProcess::isRunning);
        step(out, "Flink (" + (flink.jobManagerCount() == 1 ? "1 JobManager" : flink.jobManagerCount() + " JobManagers")
                + ", " + FlinkCluster.TASK_MANAGERS + " TaskManagers)", flinkComplete, () -> flink.start(detached));
        step(out, api.instances().size() == 1 ? "billing API" : "billing API (" + api.instances().size() + " instances behind NGINX)",
                api.isRunning(), () -> {
            adminToken(); // generated on first start; the API stores its hash (bootstrap admin token)
            api.start(postgres, kafka, secrets.file("admin-token"), detached);
        });
        step(out, "PostgreSQL exporter", postgresExporter.isRunning(), () -> postgresExporter.start(postgres, detached));
        step(out, "node exporter", nodeExporter.isRunning(), () -> nodeExporter.start(detached));
        step(out, "Alertmanager", alertmanager.isRunning(), () -> alertmanager.start(detached));
        prometheus.configure(scrapeJobs(), alertmanager.address()); // a running one follows the stack's targets
        step(out, "Prometheus", prometheus.isRunning(), () -> prometheus.start(detached));
    }

    /** What Prometheus scrapes: every component, each under the {@code job} name that dashboards and alerts use. */
    List<PrometheusServer.ScrapeJob> scrapeJobs() {
        List<String> taskManagers = new ArrayList<>();
        for (int i = 1; i <= FlinkCluster.TASK_MANAGERS; i++) {
            taskManagers.add(address(flink.metricsPort(i)));
        }
        List<String> jobManagers = new ArrayList<>();
        for (int n = 1; n <= flink.jobManagerCount(); n++) {
            jobManagers.add(address(flink.jobManagerMetricsPort(n)));
        }
        return List.of(
                new PrometheusServer.ScrapeJob("prometheus", "/metrics", List.of(prometheus.address())),
                new PrometheusServer.ScrapeJob("alertmanager", "/metrics", List.of(alertmanager.address())),
                new PrometheusServer.ScrapeJob("flink-jobmanager", "/metrics", jobManagers),
                new PrometheusServer.ScrapeJob("flink-taskmanager", "/metrics", taskManagers),
                new PrometheusServer.ScrapeJob("billing-api", "/metrics", api.instances().stream().map(BillingApiServer::address).toList()),
                new PrometheusServer.ScrapeJob("postgres", "/metrics", List.of(postgresExporter.address())),
                new PrometheusServer.ScrapeJob("node", "/metrics", List.of(nodeExporter.address())),
                new PrometheusServer.ScrapeJob("kafka", "/metrics", kafka.brokers().stream().map(KafkaBroker::metricsAddress).toList()),
                new PrometheusServer.ScrapeJob("questdb", "/metrics", List.of(questDb.metricsAddress())),
                // Patroni's own endpoint: which node is primary, replication positions, PostgreSQL up (empty when small)
                new PrometheusServer.ScrapeJob("patroni", "/metrics", postgres.patroni()
                        .map(cluster -> cluster.nodes().stream().map(PatroniCluster.Node::restAddress).toList()).orElse(List.of())));
    }

    private static String address(int port) {
        return Ports.HOST + ":" + port;
    }

    private static void step(PrintStream out, String name, boolean running, Runnable start) {
        if (running) {
            out.println("  " + name + ": already running");
            return;
        }
        out.print("  " + name + ": starting ... ");
        out.flush();
        long started = System.nanoTime();
        try {
            start.run();
        } catch (StackException e) {
            out.println("FAILED");
            throw e;
        }
        out.printf("up in %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    /** Stops everything this stack started, in reverse order, each by its recorded PID. */
    public List<String> down() {
        List<String> stopped = new ArrayList<>();
        for (ManagedProcess monitoring : List.of(prometheus.process(), alertmanager.process(), nodeExporter.process(),
                postgresExporter.process())) {
            if (monitoring.stop(Duration.ofSeconds(15))) {
                stopped.add(monitoring.name());
            }
        }
        stopped.addAll(api.stop());
        List<ManagedProcess> flinkProcesses = flink.processes();
        for (int i = flinkProcesses.size() - 1; i >= 0; i--) {
            if (flinkProcesses.get(i).stop(Duration.ofSeconds(20))) {
                stopped.add(flinkProcesses.get(i).name());
            }
        }
        if (questDb.process().stop(Duration.ofSeconds(20))) {
            stopped.add("QuestDB");
        }
        stopped.addAll(kafka.stop());
        stopped.addAll(postgres.stop());
        if (zooKeeper != null) {
            stopped.addAll(zooKeeper.stop());
        }
        if (objectStore.process().stop(Duration.ofSeconds(20))) {
            stopped.add("object store");
        }
        try {
            // stopped: the next up may choose either topology (the data folders stay)
            Files.deleteIfExists(layout.runDir().resolve("topology"));
        } catch (IOException e) {
            throw new StackException("cannot remove " + layout.runDir().resolve("topology") + ": " + e.getMessage(), e);
        }
        return stopped;
    }

    /** The admin token: generated on first start, stored in the stack's secrets, only its SHA-256 in the database. */
    public String adminToken() {
        return secrets.get("admin-token");
    }

    /** Machine-readable settings of the running stack. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WATTFLOW_HOME", layout.home().toString());
        env.put("WATTFLOW_API_URL", api.url());
        env.put("WATTFLOW_ADMIN_TOKEN", adminToken());
        env.put("KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        env.put("PG_URL", postgres.jdbcUrl(PostgresServer.DATABASE));
        env.put("PG_USER", PostgresServer.SUPERUSER);
        env.put("PG_PASSWORD_FILE", layout.secretsDir().resolve("postgres-superuser-password").toString());
        env.put("FLINK_REST_URL", flink.restUrl());
        env.put("S3_ENDPOINT", objectStore.url());
        env.put("INFLUX_URL", questDb.url());
        env.put("INFLUX_ORG", "wattflow");
        env.put("INFLUX_BUCKET", "wattflow");
        env.put("QUESTDB_PG_URL", questDb.jdbcUrl());
        env.put("PROMETHEUS_URL", prometheus.url());
        env.put("ALERTMANAGER_URL", alertmanager.url());
        return env;
    }

    /** The job's arguments for this stack: every address, and the password as a file, never on the command line. */
    public List<String> jobArguments() {
        return List.of(
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--postgres.url", postgres.jdbcUrl(PostgresServer.DATABASE),
                "--postgres.user", PostgresServer.PIPELINE_ROLE,
                "--postgres.password-file", postgres.rolePasswordFile(PostgresServer.PIPELINE_ROLE).toString(),
                "--influx.url", questDb.url(),
                "--job.name", JOB_NAME);
    }

    public Ports ports() {
        return ports;
    }
}
