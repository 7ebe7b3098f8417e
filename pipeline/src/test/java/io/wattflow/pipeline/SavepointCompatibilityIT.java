package io.wattflow.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wattflow.pipeline.sink.DeadLetterSerializer;
import io.wattflow.stack.PostgresServer;
import io.wattflow.stack.testing.TestServices;
import io.wattflow.stack.testing.TopicContents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restores the savepoint of the released job (written by {@link SavepointFixture}, kept in the test resources) and
 * checks that the state in it still means what it meant: a change that breaks state compatibility (an operator uid,
 * a state name, a serializer) fails this test.
 */
class SavepointCompatibilityIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void theReleasedSavepointRestoresDeduplicationBucketTotalsAndRegisterValues() throws Exception {
        TestServices services = TestServices.shared();
        PostgresServer postgres = services.postgres();
        postgres.createDatabaseAndRoles("savepoint_it");
        SavepointScenario.createTopics(services.kafka());
        // The same records at the same offsets as when the savepoint was taken, then the new ones.
        SavepointScenario.produce(services.kafka(), SavepointScenario.BEFORE);
        SavepointScenario.produce(services.kafka(), SavepointScenario.AFTER);
        Path savepoint = Path.of(SavepointCompatibilityIT.class.getResource(SavepointScenario.RESOURCE + "/_metadata").toURI()).getParent();
        assertThat(Files.exists(savepoint.resolve("_metadata"))).isTrue();

        JobClient job = SavepointScenario.start(SavepointScenario.config(services, "savepoint_it"), savepoint.toUri().toString());
        try {
            await().atMost(SavepointScenario.TIMEOUT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(usage(postgres)).containsExactlyInAnyOrderEntriesOf(SavepointScenario.EXPECTED_AFTER));
            await().atMost(SavepointScenario.TIMEOUT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(deadLetterReasons(services)).containsExactly("conflicting_duplicate"));
        } finally {
            job.cancel().get();
        }
    }

    private static Map<String, Long> usage(PostgresServer postgres) throws Exception {
        Map<String, Long> rows = new HashMap<>();
        try (Connection connection = postgres.connect("savepoint_it"); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT meter_id, bucket_start, energy_mwh FROM usage_15m")) {
            while (result.next()) {
                rows.put(result.getString(1) + "@" + result.getTimestamp(2).toInstant(), result.getLong(3));
            }
        }
        return rows;
    }

    private static List<String> deadLetterReasons(TestServices services) {
        return TopicContents.readAll(services.kafka().bootstrapServers(), SavepointScenario.DEAD_LETTER_TOPIC, Duration.ofSeconds(10)).stream()
                .map(record -> new String(record.headers().lastHeader(DeadLetterSerializer.REASON).value(), StandardCharsets.UTF_8)).toList();
    }
}
