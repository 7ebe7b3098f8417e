package io.wattflow.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;

/**
 * The TCP ports of the local stack. Each has a default and an environment variable that overrides it,
 * so a demo stack and the test suite (which picks free ports) run side by side.
 */
public record Ports(int kafka, int kafkaController, int postgres, int flinkRest, int flinkRpc, int questDbHttp, int questDbPg, int api) {

    public static final String HOST = "127.0.0.1";

    /** The defaults avoid the well-known ports of services that often run already (5432, 9092, 8080, 9000). */
    public static Ports fromEnvironment(Map<String, String> env) {
        return new Ports(
                port(env, "WATTFLOW_KAFKA_PORT", 19092),
                port(env, "WATTFLOW_KAFKA_CONTROLLER_PORT", 19093),
                port(env, "WATTFLOW_PG_PORT", 15432),
                port(env, "WATTFLOW_FLINK_PORT", 18081),
                port(env, "WATTFLOW_FLINK_RPC_PORT", 16123),
                port(env, "WATTFLOW_QUESTDB_PORT", 19000),
                port(env, "WATTFLOW_QUESTDB_PG_PORT", 18812),
                port(env, "WATTFLOW_API_PORT", 18080));
    }

    /** Free ports chosen by the kernel, for tests that must not collide with a running demo stack. */
    public static Ports ephemeral() {
        return new Ports(freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort());
    }

    private static int port(Map<String, String> env, String variable, int defaultPort) {
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            return defaultPort;
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new StackException(variable + "=" + value + " is not a TCP port: set it to a number from 1 to 65535");
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
