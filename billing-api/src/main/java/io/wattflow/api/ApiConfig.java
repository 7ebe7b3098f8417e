package io.wattflow.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Settings of the billing API, from environment variables (twelve-factor style, so replicas behind a load balancer
 * differ only in their environment).
 *
 * <table>
 * <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>WATTFLOW_API_HOST</td><td>127.0.0.1</td><td>Address to listen on</td></tr>
 * <tr><td>WATTFLOW_API_PORT</td><td>18080</td><td>Port to listen on; 0 picks a free one</td></tr>
 * <tr><td>WATTFLOW_DB_URL</td><td>jdbc:postgresql://127.0.0.1:15432/wattflow</td><td>Billing database</td></tr>
 * <tr><td>WATTFLOW_DB_USER</td><td>wattflow_api</td><td>Database role (read-only on usage)</td></tr>
 * <tr><td>WATTFLOW_DB_PASSWORD_FILE</td><td>(none)</td><td>File holding the role's password; else WATTFLOW_DB_PASSWORD</td></tr>
 * <tr><td>WATTFLOW_DB_POOL_SIZE</td><td>8</td><td>Database connections</td></tr>
 * <tr><td>WATTFLOW_USAGE_FRESH_MS</td><td>1000</td><td>A usage report is answered from memory for this long after it was
 * read (0: every request reads PostgreSQL). New usage appears only at the pipeline's checkpoints anyway.</td></tr>
 * <tr><td>WATTFLOW_TOKEN_LOOKUPS_PER_ADDRESS</td><td>20</td><td>Token lookups in PostgreSQL per second and client address
 * (tokens not verified in the last 30 s, unknown ones included), checked before the lookup; over it: 429</td></tr>
 * <tr><td>WATTFLOW_TRUSTED_PROXIES</td><td>(none)</td><td>Comma-separated addresses of load balancers (NGINX) whose
 * X-Forwarded-For names the client; from any other peer the header is ignored</td></tr>
 * </table>
 */
public record ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                        Duration usageFreshFor, int tokenLookupsPerAddress, Set<String> trustedProxies) {

    /** Settings that read PostgreSQL on every request (tests that change usage and read it back at once). */
    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword, int poolSize) {
        this(host, port, databaseUrl, databaseUser, databasePassword, poolSize, Duration.ZERO);
    }

    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                     Duration usageFreshFor) {
        this(host, port, databaseUrl, databaseUser, databasePassword, poolSize, usageFreshFor, DEFAULT_TOKEN_LOOKUPS_PER_ADDRESS, Set.of());
    }

    public static final int DEFAULT_TOKEN_LOOKUPS_PER_ADDRESS = 20;

    public static ApiConfig fromEnvironment(Map<String, String> env) {
        return new ApiConfig(
                env.getOrDefault("WATTFLOW_API_HOST", "127.0.0.1"),
                integer(env, "WATTFLOW_API_PORT", 18080),
                env.getOrDefault("WATTFLOW_DB_URL", "jdbc:postgresql://127.0.0.1:15432/wattflow"),
                env.getOrDefault("WATTFLOW_DB_USER", "wattflow_api"),
                password(env),
                integer(env, "WATTFLOW_DB_POOL_SIZE", 8),
                Duration.ofMillis(integer(env, "WATTFLOW_USAGE_FRESH_MS", 1000)),
                integer(env, "WATTFLOW_TOKEN_LOOKUPS_PER_ADDRESS", DEFAULT_TOKEN_LOOKUPS_PER_ADDRESS),
                java.util.Arrays.stream(env.getOrDefault("WATTFLOW_TRUSTED_PROXIES", "").split(",")).map(String::trim)
                        .filter(address -> !address.isEmpty()).collect(java.util.stream.Collectors.toUnmodifiableSet()));
    }

    private static String password(Map<String, String> env) {
        String file = env.get("WATTFLOW_DB_PASSWORD_FILE");
        if (file != null && !file.isBlank()) {
            try {
                return Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("WATTFLOW_DB_PASSWORD_FILE=" + file + " cannot be read: " + e.getMessage(), e);
            }
        }
        return env.getOrDefault("WATTFLOW_DB_PASSWORD", "");
    }

    private static int integer(Map<String, String> env, String name, int defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
        }
    }

    @Override
    public String toString() {
        return "ApiConfig[host=" + host + ", port=" + port + ", databaseUrl=" + databaseUrl + ", databaseUser=" + databaseUser
                + ", poolSize=" + poolSize + ", usageFreshFor=" + usageFreshFor + "]"; // never the password
    }
}
