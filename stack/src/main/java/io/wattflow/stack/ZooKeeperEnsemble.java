package io.wattflow.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The three-node Apache ZooKeeper ensemble of {@code up --ha}, where the Flink JobManagers elect their leader (and
 * Patroni keeps PostgreSQL's). Node {@code n} serves clients on the ZooKeeper port plus {@link Ports#HA_PORT_STEP}
 * {@code * (n - 1)}, and talks to its peers on the next two ports. Any one node may die: two still form a quorum.
 */
public final class ZooKeeperEnsemble {
    public static final int NODES = 3;

    private final StackLayout layout;
    private final List<Node> nodes;

    /** One node: its id ({@code myid}) and its ports; the peer and election ports follow the client port. */
    public record Node(int id, int clientPort, ManagedProcess process, Path dataDir) {
        int peerPort() {
            return clientPort + 1;
        }

        int electionPort() {
            return clientPort + 2;
        }

        public String address() {
            return Ports.HOST + ":" + clientPort;
        }
    }

    public ZooKeeperEnsemble(StackLayout layout, int firstClientPort) {
        this.layout = layout;
        List<Node> all = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            String name = "zookeeper-" + id;
            all.add(new Node(id, firstClientPort + Ports.HA_PORT_STEP * (id - 1), new ManagedProcess(name, layout.runDir(), layout.logDir()),
                    layout.dataDir(name)));
        }
        this.nodes = List.copyOf(all);
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** The connection string clients use: every node, so any that answers will do. */
    public String connectString() {
        return String.join(",", nodes.stream().map(Node::address).toList());
    }

    public boolean isRunning() {
        return nodes.stream().allMatch(node -> node.process().isRunning());
    }

    /** Starts the nodes that are not running, together (none serves before a quorum forms), and waits for each to serve. */
    public void start(boolean detached) {
        List<Node> starting = nodes.stream().filter(node -> !node.process().isRunning()).toList();
        for (Node node : starting) {
            Ports.requireFree(node.clientPort(), "ZooKeeper", "WATTFLOW_ZOOKEEPER_PORT");
            Ports.requireFree(node.peerPort(), "ZooKeeper's peers", "WATTFLOW_ZOOKEEPER_PORT");
            Ports.requireFree(node.electionPort(), "ZooKeeper's leader election", "WATTFLOW_ZOOKEEPER_PORT");
            launch(node, detached);
        }
        for (Node node : starting) {
            node.process().awaitReady(() -> mode(node).isPresent(), Duration.ofSeconds(90), "serving clients on " + node.address());
        }
    }

    private void launch(Node node, boolean detached) {
        try {
            Files.createDirectories(node.dataDir().resolve("data"));
            Files.writeString(node.dataDir().resolve("data/myid"), Integer.toString(node.id()), StandardCharsets.UTF_8);
            Path config = node.dataDir().resolve("zoo.cfg");
            Files.writeString(config, configuration(node), StandardCharsets.UTF_8);
            Path log4j = node.dataDir().resolve("log4j2.properties");
            Files.writeString(log4j, LOG4J, StandardCharsets.UTF_8);
            List<String> command = List.of(StackLayout.javaBinary(), "-Xms32m", "-Xmx128m", "-XX:+UseSerialGC",
                    "-Dlog4j2.configurationFile=file:" + log4j,
                    "-Dzookeeper.admin.enableServer=false",
                    "-Dwattflow.home=" + layout.home(),
                    "-cp", StackLayout.classPathOf(layout.zooKeeperLib()),
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", config.toString());
            node.process().start(command, Map.of(), node.dataDir(), detached);
        } catch (IOException e) {
            throw new StackException("cannot prepare ZooKeeper in " + node.dataDir() + ": " + e.getMessage(), e);
        }
    }

    String configuration(Node node) {
        List<String> lines = new ArrayList<>(List.of(
                // a tick of 500 ms lets clients ask for sessions of 1 s to 10 s: the JobManagers' 6 s session is
                // how long a dead leader keeps its leadership
                "tickTime=500",
                "initLimit=20",
                "syncLimit=10",
                "dataDir=" + node.dataDir().resolve("data"),
                "clientPortAddress=" + Ports.HOST,
                "clientPort=" + node.clientPort(),
                "maxClientCnxns=100",
                // srvr and ruok tell the launcher that a node serves and whether it leads; mntr is for monitoring
                "4lw.commands.whitelist=srvr,ruok,mntr",
                "autopurge.snapRetainCount=3",
                "autopurge.purgeInterval=1"));
        for (Node peer : nodes) {
            lines.add("server." + peer.id() + "=" + Ports.HOST + ":" + peer.peerPort() + ":" + peer.electionPort());
        }
        return String.join("\n", lines) + "\n";
    }

    /** {@code leader}, {@code follower} or {@code standalone} when the node serves clients; empty otherwise. */
    public static Optional<String> mode(Node node) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(Ports.HOST, node.clientPort()), 500);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return answer.lines().filter(line -> line.startsWith("Mode: ")).map(line -> line.substring("Mode: ".length()).strip())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Stops every node, the last first; returns the names of those that were running. */
    public List<String> stop() {
        List<String> stopped = new ArrayList<>();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (nodes.get(i).process().stop(Duration.ofSeconds(15))) {
                stopped.add(nodes.get(i).process().name());
            }
        }
        return stopped;
    }

    private static final String LOG4J = String.join("\n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.stdout.ref = STDOUT",
            "appender.stdout.type = Console",
            "appender.stdout.name = STDOUT",
            "appender.stdout.layout.type = PatternLayout",
            "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
            // one line per client connection and per session is noise at INFO
            "logger.cnxn.name = org.apache.zookeeper.server.NIOServerCnxn",
            "logger.cnxn.level = WARN",
            "logger.factory.name = org.apache.zookeeper.server.NIOServerCnxnFactory",
            "logger.factory.level = WARN",
            "");
}
