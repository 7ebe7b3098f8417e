package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The roles' passwords reach PostgreSQL only as SCRAM verifiers: never in a statement, so never in its log. */
class RolePasswordsIT {

    @Test
    void rolePasswordsAreSetWithoutSendingThemInClear() throws Exception {
        PostgresServer postgres = TestServices.shared().postgres();
        String database = "role_passwords_it";
        postgres.createDatabaseAndRoles(database);
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + database + " SET log_statement = 'all'"); // every statement into the server's log
        }
        long logBefore = Files.size(postgres.process().logFile());

        postgres.createDatabaseAndRoles(database); // sets the passwords again, logged this time

        String log = new String(Files.readAllBytes(postgres.process().logFile()), StandardCharsets.UTF_8).substring((int) logBefore);
        assertThat(log).contains("SCRAM-SHA-256$");
        for (String role : new String[] {PostgresServer.API_ROLE, PostgresServer.PIPELINE_ROLE}) {
            assertThat(log).doesNotContain(postgres.rolePassword(role));
        }
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + PostgresServer.API_ROLE + "'")) {
            rows.next();
            assertThat(rows.getString(1)).startsWith("SCRAM-SHA-256$");
        }
    }
}
