package io.wattflow.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Writes the savepoint that {@code SavepointCompatibilityIT} restores. Not part of the suite (its name matches no
 * test pattern): refresh the savepoint deliberately, when a change breaks state compatibility on purpose, with
 * {@code ./mvnw -pl pipeline -am verify -Dit.test=SavepointFixture -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}
 * and a note in docs/pipeline.md on how running jobs migrate.
 */
class SavepointFixture {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void writeTheSavepointOfTheCurrentJob() throws Exception {
        TestServices services = TestServices.shared();
        PostgresServer postgres = services.postgres();
        postgres.createDatabaseAndRoles("savepoint_fixture");
        SavepointScenario.createTopics(services.kafka());
        SavepointScenario.produce(services.kafka(), SavepointScenario.BEFORE);

        JobClient job = SavepointScenario.start(SavepointScenario.config(services, "savepoint_fixture"), null);
        await().atMost(SavepointScenario.TIMEOUT).untilAsserted(() -> {
            try (Connection connection = postgres.connect("savepoint_fixture"); Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT count(*), sum(energy_mwh) FROM usage_15m")) {
                rows.next();
                assertThat(rows.getLong(1)).isEqualTo(8);          // MTR-A 4 buckets, REG-1 4 buckets
                assertThat(rows.getLong(2)).isEqualTo(2_600_000);  // 1.0 + 0.6 kWh + 1.0 kWh of register span
            }
        });
        Thread.sleep(3_000); // two more checkpoints: the dead letter's transaction is committed
        Path written = Path.of(job.stopWithSavepoint(false, Files.createTempDirectory("savepoint-").toUri().toString(),
                SavepointFormatType.CANONICAL).get().replace("file:", ""));

        Path target = TestServices.repository().resolve("pipeline/src/test/resources" + SavepointScenario.RESOURCE);
        if (Files.exists(target)) {
            try (Stream<Path> old = Files.walk(target)) {
                old.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(written)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        assertThat(target.resolve("_metadata")).exists();
    }
}
