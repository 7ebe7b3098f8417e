package io.wattflow.api;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.run.BillingRunWorker;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts the billing API with settings from the environment (see {@link ApiConfig}). */
public final class BillingApiMain {
    private static final Logger LOG = LoggerFactory.getLogger(BillingApiMain.class);

    private BillingApiMain() {
    }

    public static void main(String[] args) {
        ApiConfig config;
        try {
            config = ApiConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("billing-api: " + e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        HikariDataSource dataSource = dataSource(config);
        dataSource.setMetricRegistry(metrics);
        Map<String, String> env = System.getenv();
        String instance = env.getOrDefault("WATTFLOW_INSTANCE_ID", "billing-api-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID());
        BillingApi.Dependencies dependencies = new BillingApi.Dependencies(dataSource,
                new BillingRunWorker.Settings(instance, Duration.ofSeconds(30), Duration.ofSeconds(1), BillingRunWorker.StepHook.NONE,
                        Integer.parseInt(env.getOrDefault("WATTFLOW_BILLING_RUN_THREADS",
                                Integer.toString(BillingRunWorker.Settings.DEFAULT_INVOICING_THREADS)))),
                env.get("WATTFLOW_KAFKA_BOOTSTRAP"), new BigDecimal(env.getOrDefault("WATTFLOW_BILLING_COMPLETENESS_THRESHOLD", "0.9")),
                metrics, Integer.parseInt(env.getOrDefault("WATTFLOW_API_RATE_LIMIT", "200")));
        bootstrapAdminToken(dataSource, env.get("WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE"));
        Javalin app = BillingApi.create(config, dependencies).start();
        LOG.info("billing API listening on http://{}:{} ({})", config.host(), app.port(), config);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            dataSource.close();
        }, "billing-api-shutdown"));
    }

    /**
     * The first admin token comes from configuration: a file holding it (never the token itself in the environment or
     * on a command line). Its SHA-256 is stored as the token 'bootstrap-admin', replacing an earlier one.
     */
    static void bootstrapAdminToken(javax.sql.DataSource dataSource, String tokenFile) {
        if (tokenFile == null || tokenFile.isBlank()) {
            return;
        }
        try (java.sql.Connection connection = dataSource.getConnection();
             java.sql.PreparedStatement replace = connection.prepareStatement("""
                     UPDATE api_token SET token_sha256 = ?, role = 'admin', customer_id = NULL, revoked_at = NULL
                      WHERE name = 'bootstrap-admin' AND token_sha256 <> ?
                     """);
             java.sql.PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO api_token (token_sha256, name, role) VALUES (?, 'bootstrap-admin', 'admin') ON CONFLICT DO NOTHING")) {
            String token = java.nio.file.Files.readString(java.nio.file.Path.of(tokenFile)).trim();
            if (token.length() < 22) {
                throw new IllegalArgumentException("the bootstrap admin token in " + tokenFile + " is shorter than 128 bits");
            }
            byte[] digest = io.wattflow.api.auth.TokenAuthenticator.sha256(token);
            replace.setBytes(1, digest);
            replace.setBytes(2, digest);
            replace.executeUpdate();
            insert.setBytes(1, digest); // nothing to do when this token is stored already, under any name
            insert.executeUpdate();
        } catch (java.io.IOException | java.sql.SQLException e) {
            LOG.warn("the bootstrap admin token from {} was not stored: {}", tokenFile, e.getMessage());
        }
    }

    public static HikariDataSource dataSource(ApiConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.databaseUrl());
        hikari.setUsername(config.databaseUser());
        hikari.setPassword(config.databasePassword());
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setPoolName("billing-api");
        // Never hang on a dead database: a request fails in about 2 s, and the circuit breaker then fails the next ones at once.
        hikari.setConnectionTimeout(2_000);
        hikari.setValidationTimeout(1_000);
        // Start even while the database is down: /health says DOWN and requests fail with 500 until it is back.
        hikari.setInitializationFailTimeout(-1);
        return new HikariDataSource(hikari);
    }
}
