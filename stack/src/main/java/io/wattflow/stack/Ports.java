package io.wattflow.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The TCP ports of the local stack. Each has a default and an environment variable that overrides it,
 * so a demo stack and the test suite (which picks free ports) run side by side.
 *
 * @param flinkMetrics the JobManager's Prometheus endpoint; TaskManager {@code i} serves on {@code flinkMetrics + i}, the
 *                     standby JobManager of {@code up --ha} on the port after the last TaskManager's
 * @param zooKeeper the first ZooKeeper node's client port ({@code up --ha} only); it uses the next two for its peers
 * @param patroni the first Patroni node's REST API ({@code up --ha} only)
 * @param objectStore the object store's plain HTTP; its HTTPS listens on the next port
 */
public record Ports(int kafka, int kafkaController, int postgres, int flinkRest, int flinkRpc, int questDbHttp, int questDbPg, int api,
                    int prometheus, int alertmanager, int postgresExporter, int nodeExporter, int kafkaMetrics, int questDbMetrics,
                    int flinkMetrics, int zooKeeper, int patroni, int objectStore) {

    public static final String HOST = "127.0.0.1";

    /**
     * In {@code up --ha}, the n-th copy of a component listens this many ports above the previous one: Kafka node n on the
     * Kafka ports plus {@code HA_PORT_STEP * (n - 1)}, API instance n on the API's port plus {@code HA_PORT_STEP * n}
     * (NGINX takes the API's port).
     */
    public static final int HA_PORT_STEP = 10;

    /** One overridable port: its variable and default. The defaults avoid well-known ports (5432, 9092, 8080, 9090). */
    public record Setting(String variable, int defaultPort, String purpose) {
    }

    /** Every port setting, in the order of the record's components. */
    public static final List<Setting> SETTINGS = List.of(
            new Setting("WATTFLOW_KAFKA_PORT", 19092, "Kafka"),
            new Setting("WATTFLOW_KAFKA_CONTROLLER_PORT", 19093, "the Kafka controller"),
            new Setting("WATTFLOW_PG_PORT", 15432, "PostgreSQL"),
            new Setting("WATTFLOW_FLINK_PORT", 18081, "the Flink REST API and web UI"),
            new Setting("WATTFLOW_FLINK_RPC_PORT", 16123, "the Flink JobManager's RPC"),
            new Setting("WATTFLOW_QUESTDB_PORT", 19000, "QuestDB"),
            new Setting("WATTFLOW_QUESTDB_PG_PORT", 18812, "QuestDB's PostgreSQL protocol"),
            new Setting("WATTFLOW_API_PORT", 18080, "the billing API"),
            new Setting("WATTFLOW_PROMETHEUS_PORT", 19090, "Prometheus"),
            new Setting("WATTFLOW_ALERTMANAGER_PORT", 19095, "Alertmanager"),
            new Setting("WATTFLOW_PG_EXPORTER_PORT", 19187, "the PostgreSQL exporter"),
            new Setting("WATTFLOW_NODE_EXPORTER_PORT", 19100, "the node exporter (disk space)"),
            new Setting("WATTFLOW_KAFKA_METRICS_PORT", 19188, "Kafka's metrics (JMX exporter)"),
            new Setting("WATTFLOW_QUESTDB_METRICS_PORT", 19003, "QuestDB's metrics"),
            new Setting("WATTFLOW_FLINK_METRICS_PORT", 19249, "Flink's metrics (this port and the next "
                    + (FlinkCluster.TASK_MANAGERS + 1) + ")"),
            new Setting("WATTFLOW_ZOOKEEPER_PORT", 12181, "ZooKeeper (up --ha; this port and the next two, for each node "
                    + HA_PORT_STEP + " apart)"),
            new Setting("WATTFLOW_PATRONI_PORT", 18008, "Patroni's REST API (up --ha; the second node's is " + HA_PORT_STEP + " above)"),
            new Setting("WATTFLOW_OBJECT_STORE_PORT", 19190, "the object store's S3 API (HTTP; HTTPS on the next port)"));

    public static Ports fromEnvironment(Map<String, String> env) {
        int[] ports = new int[SETTINGS.size()];
        for (int i = 0; i < ports.length; i++) {
            ports[i] = port(env, SETTINGS.get(i));
        }
        return of(ports);
    }

    /**
     * Free ports for tests that must not collide with a running demo stack. Chosen below the kernel's ephemeral range
     * (as {@link #freeSpacedPorts} does), and none twice: a port the kernel hands out as free is also one it may give the
     * next outgoing connection (to the object store, say) before the component that should listen there starts.
     */
    public static Ports ephemeral() {
        return allocate(Set.of());
    }

    /** The components {@code up --ha} runs three of, each copy on the ports {@link #HA_PORT_STEP} above the last. */
    static final Set<String> REPLICATED = Set.of("WATTFLOW_KAFKA_PORT", "WATTFLOW_KAFKA_CONTROLLER_PORT",
            "WATTFLOW_KAFKA_METRICS_PORT", "WATTFLOW_API_PORT", "WATTFLOW_FLINK_PORT", "WATTFLOW_FLINK_RPC_PORT", "WATTFLOW_PG_PORT",
            "WATTFLOW_PATRONI_PORT", "WATTFLOW_ZOOKEEPER_PORT");

    /**
     * Free ports for {@code up --ha}: as {@link #ephemeral()}, with the ports of replicated components chosen so that
     * the other copies' ports ({@link #HA_PORT_STEP} and twice that above) are free too, and no port of any copy is
     * another component's.
     */
    public static Ports ephemeralHighlyAvailable() {
        return allocate(REPLICATED);
    }

    /** Every port each component will listen on, from its first: {@code count} blocks of {@code width}, {@code step} apart. */
    record Span(int step, int count, int width) {
        List<Integer> ports(int first) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                for (int j = 0; j < width; j++) {
                    ports.add(first + i * step + j);
                }
            }
            return ports;
        }
    }

    static Span span(String variable, boolean replicated) {
        int width = variable.equals("WATTFLOW_FLINK_METRICS_PORT") ? 2 + FlinkCluster.TASK_MANAGERS
                : variable.equals("WATTFLOW_OBJECT_STORE_PORT") ? 2
                : variable.equals("WATTFLOW_ZOOKEEPER_PORT") && replicated ? 3 : 1;
        int count = !replicated ? 1 : variable.equals("WATTFLOW_ZOOKEEPER_PORT") ? ZooKeeperEnsemble.NODES : 3;
        return new Span(replicated ? HA_PORT_STEP : 1, count, width);
    }

    /** Free ports for every component, the replicated ones with room for their copies; no port used twice. */
    private static Ports allocate(Set<String> replicated) {
        int[] ports = new int[SETTINGS.size()];
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < ports.length; i++) {
            String variable = SETTINGS.get(i).variable();
            Span span = span(variable, replicated.contains(variable));
            int first;
            do {
                first = freeSpacedPorts(span.step(), span.count(), span.width());
            } while (span.ports(first).stream().anyMatch(taken::contains));
            taken.addAll(span.ports(first));
            ports[i] = first;
        }
        return of(ports);
    }

    private static int index(String variable) {
        return SETTINGS.stream().map(Setting::variable).toList().indexOf(variable);
    }

    /** The ports in the order of {@link #SETTINGS}. */
    private int[] values() {
        return new int[] {kafka, kafkaController, postgres, flinkRest, flinkRpc, questDbHttp, questDbPg, api, prometheus, alertmanager,
                postgresExporter, nodeExporter, kafkaMetrics, questDbMetrics, flinkMetrics, zooKeeper, patroni, objectStore};
    }

    private static Ports of(int[] p) {
        return new Ports(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16], p[17]);
    }

    /** The variables that select these ports, for a child process or a script. */
    public Map<String, String> environment() {
        int[] values = values();
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            env.put(SETTINGS.get(i).variable(), Integer.toString(values[i]));
        }
        return env;
    }

    private static int port(Map<String, String> env, Setting setting) {
        String value = env.get(setting.variable());
        if (value == null || value.isBlank()) {
            return setting.defaultPort();
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new StackException(setting.variable() + "=" + value + " is not a TCP port: set it to a number from 1 to 65535");
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new StackException("cannot find a free TCP port on " + HOST + ": " + e.getMessage(), e);
        }
    }

    /** The first of {@code size} consecutive free ports, below the kernel's ephemeral range so no client takes them meanwhile. */
    static int freePortBlock(int size) {
        return freeSpacedPorts(1, size, 1);
    }

    /**
     * The first of {@code count} blocks of {@code width} free ports, the blocks {@code step} apart, below the kernel's
     * ephemeral range.
     */
    static int freeSpacedPorts(int step, int count, int width) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(20_000, 32_000 - step * count - width);
            boolean free = true;
            for (int i = 0; i < count && free; i++) {
                for (int j = 0; j < width && free; j++) {
                    free = isBindable(first + i * step + j);
                }
            }
            if (free) {
                return first;
            }
        }
        throw new StackException("cannot find " + count + " free TCP ports " + step + " apart on " + HOST);
    }

    private static boolean isBindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when something accepts connections on the port. */
    public static boolean isOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails with the variable to change when another program holds the port. */
    public static void requireFree(int port, String component, String variable) {
        if (isOpen(port)) {
            throw new StackException("port " + port + " for " + component + " is in use by another program: stop it or set "
                    + variable + " to a free port");
        }
    }
}
