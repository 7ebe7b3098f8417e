package io.wattflow.api;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

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
 * <tr><td>WATTFLOW_API_RATE_LIMIT</td><td>200</td><td>Requests per second per token; over it: 429</td></tr>
 * <tr><td>WATTFLOW_INSTANCE_ID</td><td>billing-api-PID-UUID</td><td>This instance's name as the owner of billing-run
 * leases; unique per replica</td></tr>
 * <tr><td>WATTFLOW_BILLING_RUN_THREADS</td><td>4</td><td>Customers a billing run invoices at a time on this instance</td></tr>
 * <tr><td>WATTFLOW_BILLING_COMPLETENESS_THRESHOLD</td><td>0.9</td><td>Share of a period a meter's data must cover for
 * its customer to be invoiced (0 to 1)</td></tr>
 * <tr><td>WATTFLOW_KAFKA_BOOTSTRAP</td><td>(none)</td><td>Kafka brokers the outbox relay publishes billing events to;
 * unset: events stay in the outbox table</td></tr>
 * <tr><td>WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE</td><td>(none)</td><td>File holding the first admin token, stored hashed
 * as 'bootstrap-admin' at start</td></tr>
 * </table>
 */
public record ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                        Duration usageFreshFor, int tokenLookupsPerAddress, Set<String> trustedProxies, Service service) {

    /** Every variable it reads: docs/billing-api.md's settings table lists the same (ApiConfigTest). */
    public static final List<String> VARIABLES = List.of("WATTFLOW_API_HOST", "WATTFLOW_API_PORT", "WATTFLOW_DB_URL", "WATTFLOW_DB_USER",
            "WATTFLOW_DB_PASSWORD_FILE", "WATTFLOW_DB_PASSWORD", "WATTFLOW_DB_POOL_SIZE", "WATTFLOW_USAGE_FRESH_MS",
            "WATTFLOW_TOKEN_LOOKUPS_PER_ADDRESS", "WATTFLOW_TRUSTED_PROXIES", "WATTFLOW_API_RATE_LIMIT", "WATTFLOW_INSTANCE_ID",
            "WATTFLOW_BILLING_RUN_THREADS", "WATTFLOW_BILLING_COMPLETENESS_THRESHOLD", "WATTFLOW_KAFKA_BOOTSTRAP",
            "WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE");

    /**
     * What the running service does beside answering requests.
     *
     * @param instanceId            owner of this instance's billing-run leases
     * @param billingRunThreads     customers invoiced at a time
     * @param completenessThreshold share of a period a meter's data must cover for its customer to be invoiced
     * @param kafkaBootstrap        where billing events go; null: they stay in the outbox
     * @param requestsPerSecondPerToken the rate limit of a token
     * @param bootstrapAdminTokenFile   file of the first admin token; null: none
     */
    public record Service(String instanceId, int billingRunThreads, BigDecimal completenessThreshold, String kafkaBootstrap,
                          int requestsPerSecondPerToken, String bootstrapAdminTokenFile) {
        public static final Service DEFAULTS = new Service("billing-api-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID(),
                4, new BigDecimal("0.9"), null, 200, null);
    }

    /** Settings that read PostgreSQL on every request (tests that change usage and read it back at once). */
    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword, int poolSize) {
        this(host, port, databaseUrl, databaseUser, databasePassword, poolSize, Duration.ZERO);
    }

    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword, int poolSize,
                     Duration usageFreshFor) {
        this(host, port, databaseUrl, databaseUser, databasePassword, poolSize, usageFreshFor, DEFAULT_TOKEN_LOOKUPS_PER_ADDRESS, Set.of(),
                Service.DEFAULTS);
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
                Arrays.stream(env.getOrDefault("WATTFLOW_TRUSTED_PROXIES", "").split(",")).map(String::trim)
                        .filter(address -> !address.isEmpty()).collect(Collectors.toUnmodifiableSet()),
                new Service(env.getOrDefault("WATTFLOW_INSTANCE_ID", Service.DEFAULTS.instanceId()),
                        integer(env, "WATTFLOW_BILLING_RUN_THREADS", Service.DEFAULTS.billingRunThreads()),
                        share(env, "WATTFLOW_BILLING_COMPLETENESS_THRESHOLD", Service.DEFAULTS.completenessThreshold()),
                        blankToNull(env.get("WATTFLOW_KAFKA_BOOTSTRAP")),
                        integer(env, "WATTFLOW_API_RATE_LIMIT", Service.DEFAULTS.requestsPerSecondPerToken()),
                        blankToNull(env.get("WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE"))));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static BigDecimal share(Map<String, String> env, String name, BigDecimal defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            BigDecimal share = new BigDecimal(value.trim());
            if (share.signum() >= 0 && share.compareTo(BigDecimal.ONE) <= 0) {
                return share;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + " must be a decimal from 0 to 1, got '" + value + "'");
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
                + ", poolSize=" + poolSize + ", usageFreshFor=" + usageFreshFor + ", " + service + "]"; // never the password
    }
}
