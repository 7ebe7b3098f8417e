package io.wattflow.pipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.wattflow.pipeline.usage.UsageBucket;
import io.wattflow.stack.Ports;
import io.wattflow.stack.QuestDbServer;
import io.wattflow.stack.testing.TestServices;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

/** The InfluxDB writer against an unreachable server, then against a real QuestDB after a restore. */
class InfluxDbSinkIT {
    private static final long BUCKET = Instant.parse("2026-11-20T10:00:00Z").toEpochMilli();

    private static InfluxDbSink.Settings settings(String url) {
        return new InfluxDbSink.Settings(url, "", "wattflow", "wattflow", 1_000, 100);
    }

    @Test
    void whileInfluxDbIsDownPointsStayPendingInTheCheckpointAndAreWrittenAfterARestore() throws Exception {
        // Given InfluxDB unreachable (nothing listens on the port)
        String deadUrl = "http://127.0.0.1:" + Ports.freePort();
        List<PendingPoints> checkpointed;
        try (var writer = new InfluxDbSink.Writer<>(settings(deadUrl), InfluxLines.ENERGY, new UnregisteredMetricsGroup(), new PendingPoints())) {
            // When buckets arrive and checkpoints flush
            writer.write(new UsageBucket("IT-INFLUX-1", "import", BUCKET, 100, 1), null);
            writer.write(new UsageBucket("IT-INFLUX-1", "import", BUCKET, 250, 2), null);
            writer.write(new UsageBucket("IT-INFLUX-2", "export", BUCKET, 7, 1), null);
            for (int checkpoint = 0; checkpoint < 5; checkpoint++) {
                writer.flush(false); // never throws, never waits for InfluxDB
            }

            // Then the latest value of each point is pending, the breaker is open, and the snapshot carries them
            assertThat(writer.pending.view().values()).containsExactly(
                    "energy,channel=import,meter_id=IT-INFLUX-1 energy_mwh=250i " + BUCKET,
                    "energy,channel=export,meter_id=IT-INFLUX-2 energy_mwh=7i " + BUCKET);
            assertThat(writer.breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
            checkpointed = writer.snapshotState(1);
        }
        byte[] serialized = new PendingPoints.Serializer().serialize(checkpointed.get(0));
        PendingPoints restored = new PendingPoints.Serializer().deserialize(2, serialized);

        // When a writer is restored from that checkpoint with InfluxDB (QuestDB) reachable
        QuestDbServer questDb = TestServices.shared().questDb();
        try (var writer = new InfluxDbSink.Writer<>(settings(questDb.url()), InfluxLines.ENERGY, new UnregisteredMetricsGroup(), restored)) {
            writer.flush(false);
            assertThat(writer.pending.size()).isZero();
        }

        // Then the points are there with their latest values
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(questDb.execute(
                "SELECT meter_id, channel, energy_mwh FROM energy WHERE meter_id IN ('IT-INFLUX-1', 'IT-INFLUX-2') ORDER BY meter_id"))
                .contains("[\"IT-INFLUX-1\",\"import\",250]", "[\"IT-INFLUX-2\",\"export\",7]"));
    }

    @Test
    void aPointRefusedForItsContentIsDroppedAndTheOthersAreWritten() throws Exception {
        // Given a mapper that turns one meter's bucket into a point QuestDB refuses (a string in the integer column)
        InfluxLines.Mapper<UsageBucket> lines = bucket -> bucket.meterId.equals("IT-REFUSED")
                ? new InfluxLines.Line("refused", "energy,channel=import,meter_id=IT-REFUSED energy_mwh=\"text\" " + BUCKET)
                : InfluxLines.ENERGY.apply(bucket);
        QuestDbServer questDb = TestServices.shared().questDb();
        try (var writer = new InfluxDbSink.Writer<>(settings(questDb.url()), lines, new UnregisteredMetricsGroup(), new PendingPoints())) {
            // When it sits among good points of the same write
            for (int meter = 1; meter <= 6; meter++) {
                writer.write(new UsageBucket("IT-GOOD-" + meter, "import", BUCKET, meter, 1), null);
                if (meter == 4) {
                    writer.write(new UsageBucket("IT-REFUSED", "import", BUCKET, 9, 1), null);
                }
            }
            writer.flush(false);

            // Then the good points are written, the refused one is dropped and counted, and the breaker stays closed
            assertThat(writer.pending.size()).isZero();
            assertThat(writer.pointsDropped.getCount()).isEqualTo(1);
            assertThat(writer.breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(questDb.execute(
                "SELECT count() FROM energy WHERE meter_id LIKE 'IT-GOOD-%'")).contains("[6]"));
    }
}
