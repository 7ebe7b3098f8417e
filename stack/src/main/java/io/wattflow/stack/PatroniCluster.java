package io.wattflow.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL of {@code up --ha}: a primary and a synchronous standby, each a PostgreSQL server managed by its own
 * Patroni (Debian package {@code patroni}), which keeps the leader lock in the stack's ZooKeeper ensemble
 * ({@code python3-kazoo}). When the primary's node dies, its lock expires ({@link #TTL_SECONDS}) and Patroni promotes
 * the standby; synchronous mode means a commit was on both before it was acknowledged, so none is lost. A node that
 * comes back rejoins as a standby, rewound with {@code pg_rewind} when its timeline diverged. Node {@code n} listens on
 * the PostgreSQL port plus {@link Ports#HA_PORT_STEP}{@code * (n - 1)}, its Patroni REST API likewise above the Patroni
 * port.
 */
public final class PatroniCluster {
    public static final int NODES = 2;
    /** How long the leader lock outlives a dead primary: the bulk of a failover's duration. */
    static final int TTL_SECONDS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StackLayout layout;
    private final List<Node> nodes;
    private final String zooKeeperConnect;

    /** One node: Patroni's process (the PID the stack records), its REST API, and the PostgreSQL server it runs. */
    public record Node(int id, int postgresPort, int restPort, ManagedProcess process, Path dataDir) {
        public String name() {
            return process.name();
        }

        public Path pgdata() {
            return dataDir.resolve("pgdata");
        }

        public String restUrl() {
            return "http://" + Ports.HOST + ":" + restPort;
        }

        public String restAddress() {
            return Ports.HOST + ":" + restPort;
        }

        /** The PID of the postmaster, which Patroni starts in a session of its own; empty when it does not run. */
        public Optional<ProcessHandle> postmaster() {
            try {
                long pid = Long.parseLong(Files.readAllLines(pgdata().resolve("postmaster.pid")).get(0).trim());
                return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }
    }

    public PatroniCluster(StackLayout layout, int firstPostgresPort, int firstRestPort, String zooKeeperConnect) {
        this.layout = layout;
        this.zooKeeperConnect = zooKeeperConnect;
        List<Node> all = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            String name = "postgres-" + id;
            int offset = Ports.HA_PORT_STEP * (id - 1);
            all.add(new Node(id, firstPostgresPort + offset, firstRestPort + offset,
                    new ManagedProcess(name, layout.runDir(), layout.logDir()), layout.dataDir(name)));
        }
        this.nodes = List.copyOf(all);
    }

    public List<Node> nodes() {
        return nodes;
    }

    public boolean isRunning() {
        return nodes.stream().allMatch(node -> node.process().isRunning());
    }

    /**
     * Starts the nodes that are not running. On first start the first node bootstraps the cluster (initdb) and the
     * second copies it with pg_basebackup; later a node resumes with its data, as primary if it still holds the lock.
     * Returns once a primary accepts writes and every started node runs PostgreSQL.
     */
    public void start(String superuserPassword, String replicationPassword, boolean detached) {
        Path patroni = DebianPackages.require("patroni", "patroni");
        if (!Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/kazoo"))) {
            DebianPackages.installOrExplain("python3-kazoo", "Patroni's ZooKeeper client (python3-kazoo) not found");
        }
        Path bin = PostgresBinaries.find();
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        Map<String, String> environment = Map.of(
                "PATRONI_SUPERUSER_PASSWORD", superuserPassword,
                "PATRONI_REPLICATION_PASSWORD", replicationPassword);
        for (Node node : nodes) {
            if (node.process().isRunning()) {
                continue;
            }
            Ports.requireFree(node.restPort(), "Patroni's REST API", "WATTFLOW_PATRONI_PORT");
            if (node.postmaster().isEmpty()) {
                Ports.requireFree(node.postgresPort(), "PostgreSQL", "WATTFLOW_PG_PORT");
            }
            try {
                Files.createDirectories(node.dataDir());
                Path config = node.dataDir().resolve("patroni.yml");
                YamlFiles.write(config, "Patroni of " + node.name() + ", written by bin/wattflow up --ha", configuration(node, bin));
                List<String> command = new ArrayList<>();
                if (asRoot) {
                    // PostgreSQL refuses to run as root; setpriv replaces itself with Patroni, so the PID is Patroni's
                    PostgresServer.ownedByPostgres(node.dataDir());
                    Files.createDirectories(layout.logDir());
                    command.addAll(List.of("setpriv", "--reuid=" + PostgresServer.SUPERUSER, "--regid=" + PostgresServer.SUPERUSER,
                            "--init-groups"));
                }
                command.addAll(List.of(patroni.toString(), config.toString()));
                node.process().start(command, environment, node.dataDir(), detached);
            } catch (IOException e) {
                throw new StackException("cannot prepare " + node.name() + " in " + node.dataDir() + ": " + e.getMessage(), e);
            }
            // one at a time: the first to start bootstraps the cluster, the next copies it
            node.process().awaitReady(() -> state(node).filter(state -> state.path("state").asText().equals("running")).isPresent()
                    && primary().isPresent(), Duration.ofSeconds(180), "PostgreSQL running and a primary elected");
        }
    }

    /** Patroni's configuration of one node; passwords come from the environment, never from the file. */
    Map<String, Object> configuration(Node node, Path bin) {
        Map<String, Object> dcs = new LinkedHashMap<>();
        dcs.put("ttl", TTL_SECONDS);
        dcs.put("loop_wait", 2);
        dcs.put("retry_timeout", 4);
        // a standby further behind than 1 MiB of WAL is not promoted (synchronous mode keeps the sync standby at 0)
        dcs.put("maximum_lag_on_failover", 1048576);
        // a commit returns once the standby has it: failover never loses a usage upsert the job counted as written
        dcs.put("synchronous_mode", true);
        dcs.put("postgresql", Map.of(
                "use_pg_rewind", true,
                "use_slots", true,
                "parameters", Map.of(
                        "max_connections", 100,
                        "wal_level", "replica",
                        "wal_log_hints", "on",
                        "max_wal_senders", 5,
                        "max_replication_slots", 5,
                        "hot_standby", "on")));
        Map<String, Object> postgresql = new LinkedHashMap<>();
        postgresql.put("listen", Ports.HOST + ":" + node.postgresPort());
        postgresql.put("connect_address", Ports.HOST + ":" + node.postgresPort());
        postgresql.put("data_dir", node.pgdata().toString());
        postgresql.put("bin_dir", bin.toString());
        postgresql.put("pgpass", node.dataDir().resolve("pgpass").toString());
        postgresql.put("authentication", Map.of(
                "superuser", Map.of("username", PostgresServer.SUPERUSER),
                "replication", Map.of("username", PostgresServer.REPLICATION_ROLE)));
        // TCP on 127.0.0.1 with SCRAM only, as the small stack's server; no Unix socket (long data folders break its path)
        postgresql.put("parameters", Map.of(
                "unix_socket_directories", "",
                "password_encryption", "scram-sha-256",
                "shared_buffers", "64MB",
                "fsync", "on"));
        List<String> hba = List.of(
                "host replication " + PostgresServer.REPLICATION_ROLE + " 127.0.0.1/32 scram-sha-256",
                "host all all 127.0.0.1/32 scram-sha-256");
        postgresql.put("pg_hba", hba);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("scope", "wattflow");
        config.put("namespace", "/patroni/");
        config.put("name", node.name());
        config.put("log", Map.of("level", "INFO"));
        config.put("restapi", Map.of("listen", node.restAddress(), "connect_address", node.restAddress()));
        config.put("zookeeper", Map.of("hosts", List.of(zooKeeperConnect.split(","))));
        config.put("bootstrap", Map.of(
                "dcs", dcs,
                "initdb", List.of(Map.of("encoding", "UTF8"), Map.of("locale", "C"), Map.of("auth-host", "scram-sha-256"),
                        Map.of("auth-local", "scram-sha-256"))));
        config.put("postgresql", postgresql);
        return config;
    }

    /** Patroni's view of its node, empty when it does not answer. */
    public static Optional<JsonNode> state(Node node) {
        // GET / answers 503 on a standby; /patroni answers 200 with the same view on every node
        String body = HttpProbe.get(node.restUrl() + "/patroni");
        try {
            return body == null ? Optional.empty() : Optional.of(JSON.readTree(body));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@code primary} or {@code replica} as Patroni sees its node; empty when it does not answer. */
    public static Optional<String> role(Node node) {
        return state(node).map(state -> state.path("role").asText()).filter(role -> !role.isEmpty())
                .map(role -> role.equals("master") ? "primary" : role);
    }

    /** The node whose PostgreSQL is the primary, if one is. */
    public Optional<Node> primary() {
        return nodes.stream().filter(node -> HttpProbe.answers(node.restUrl() + "/primary")).findFirst();
    }

    /** The whole node dies at once, Patroni and PostgreSQL, as when its machine fails: kill -9 of both. */
    public void kill(Node node) {
        List<ProcessHandle> victims = new ArrayList<>();
        node.process().running().ifPresent(victims::add);
        node.postmaster().ifPresent(victims::add);
        victims.forEach(ProcessHandle::destroyForcibly);
        victims.forEach(process -> process.onExit().join());
    }

    /**
     * Stops the standbys first, then the primary (stopping the primary first would have a standby promoted). Patroni
     * stops its PostgreSQL on SIGTERM; a postmaster left behind (its Patroni was killed) is stopped by its PID.
     */
    public List<String> stop() {
        List<Node> order = new ArrayList<>(nodes);
        Optional<Node> primary = primary();
        primary.ifPresent(leader -> {
            order.remove(leader);
            order.add(leader);
        });
        List<String> stopped = new ArrayList<>();
        for (Node node : order) {
            if (node.process().stop(Duration.ofSeconds(60))) {
                stopped.add(node.name());
            }
            node.postmaster().ifPresent(postmaster -> {
                postmaster.destroy();
                postmaster.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(timeout -> {
                    postmaster.destroyForcibly();
                    return postmaster;
                }).join();
            });
        }
        return stopped;
    }
}
