package io.wattflow.api;

import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.Secrets;
import io.wattflow.stack.testing.TestServices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Set;
import java.util.function.Function;
import javax.sql.DataSource;

/** The billing API on a free port over a database of its own in the tests' PostgreSQL, connected as the API role. */
final class ApiFixture implements AutoCloseable {
    final String database;
    final ApiConfig config;
    final HikariDataSource dataSource;
    final Javalin app;

    private ApiFixture(String database, ApiConfig config, HikariDataSource dataSource, Javalin app) {
        this.database = database;
        this.config = config;
        this.dataSource = dataSource;
        this.app = app;
    }

    /** The database, migrated, for seeding before {@link #start}. */
    static PostgresServer database(String database) {
        PostgresServer postgres = TestServices.shared().postgres();
        postgres.createDatabaseAndRoles(database);
        return postgres;
    }

    static ApiFixture start(String database) {
        return start(database, BillingApi.Dependencies::new);
    }

    static ApiFixture start(String database, Function<DataSource, BillingApi.Dependencies> dependencies) {
        return start(database, dependencies, ApiConfig.DEFAULT_TOKEN_LOOKUPS_PER_ADDRESS);
    }

    static ApiFixture start(String database, Function<DataSource, BillingApi.Dependencies> dependencies, int tokenLookupsPerAddress) {
        PostgresServer postgres = TestServices.shared().postgres();
        ApiConfig config = new ApiConfig("127.0.0.1", 0, postgres.jdbcUrl(database), PostgresServer.API_ROLE,
                postgres.rolePassword(PostgresServer.API_ROLE), 4, Duration.ZERO, tokenLookupsPerAddress, Set.of(), ApiConfig.Service.DEFAULTS);
        HikariDataSource dataSource = BillingApiMain.dataSource(config);
        Javalin app = BillingApi.create(config, dependencies.apply(dataSource)).start();
        return new ApiFixture(database, config, dataSource, app);
    }

    /** A token of that role (and customer), stored hashed as the API stores them. */
    static String addToken(Connection connection, String name, String role) throws Exception {
        String token = role + "-" + Secrets.randomToken();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO api_token (token_sha256, name, role) VALUES (?, ?, ?)")) {
            insert.setBytes(1, Secrets.sha256(token));
            insert.setString(2, name);
            insert.setString(3, role);
            insert.executeUpdate();
        }
        return token;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + app.port();
    }

    @Override
    public void close() {
        app.stop();
        dataSource.close();
    }
}
