package io.wattflow.api;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wattflow.api.auth.TokenAuthenticator;
import io.wattflow.api.auth.TokenRepository;
import io.wattflow.api.run.BillingRunWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
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
        ApiConfig.Service service = config.service();
        BillingApi.Dependencies dependencies = new BillingApi.Dependencies(dataSource,
                new BillingRunWorker.Settings(service.instanceId(), Duration.ofSeconds(30), Duration.ofSeconds(1), BillingRunWorker.StepHook.NONE,
                        service.billingRunThreads()),
                service.kafkaBootstrap(), service.completenessThreshold(), metrics, service.requestsPerSecondPerToken());
        bootstrapAdminToken(dataSource, service.bootstrapAdminTokenFile());
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
    static void bootstrapAdminToken(DataSource dataSource, String tokenFile) {
        if (tokenFile == null || tokenFile.isBlank()) {
            return;
        }
        try {
            String token = Files.readString(Path.of(tokenFile)).trim();
            if (token.length() < 22) {
                throw new IllegalArgumentException("the bootstrap admin token in " + tokenFile + " is shorter than 128 bits");
            }
            new TokenRepository(dataSource).storeBootstrapAdmin(TokenAuthenticator.sha256(token));
        } catch (IOException | SQLException e) {
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
