package io.wattflow.pipeline.sink;

import io.wattflow.pipeline.usage.UsageBucket;
import java.sql.SQLException;
import java.sql.Timestamp;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.JdbcExecutionOptions;
import org.apache.flink.connector.jdbc.core.datastream.sink.JdbcSink;

/**
 * Upserts absolute bucket totals into {@code usage_15m}. At-least-once delivery of absolute, keyed values is
 * exactly-once in effect: a replayed write puts the same value again. XA is deliberately not used: prepared
 * transactions would hold row locks across checkpoints and deadlock against the next epoch's upserts.
 */
public final class UsageTableSink {
    /** Rows are only rewritten when they change, so a replay after recovery does not churn the table. */
    static final String UPSERT = """
            INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count, updated_at)
            VALUES (?, ?, ?, ?, ?, now())
            ON CONFLICT (meter_id, channel, bucket_start) DO UPDATE
               SET energy_mwh = EXCLUDED.energy_mwh,
                   reading_count = EXCLUDED.reading_count,
                   updated_at = EXCLUDED.updated_at
             WHERE usage_15m.energy_mwh <> EXCLUDED.energy_mwh
                OR usage_15m.reading_count <> EXCLUDED.reading_count
            """;

    private UsageTableSink() {
    }

    public static Sink<UsageBucket> create(String url, String user, String password, int batchSize, long batchIntervalMillis) {
        return new FailureTolerantJdbcSink<>(JdbcSink.<UsageBucket>builder()
                .withQueryStatement(UPSERT, (statement, bucket) -> {
                    if (statement == null) {
                        // the connector left none after a failed reconnect: say so (a NullPointerException would not)
                        throw new SQLException("no connection to PostgreSQL (" + url + ")");
                    }
                    statement.setString(1, bucket.meterId);
                    statement.setString(2, bucket.channel);
                    statement.setTimestamp(3, new Timestamp(bucket.bucketStartMillis));
                    statement.setLong(4, bucket.energyMilliWattHours);
                    statement.setInt(5, bucket.readingCount);
                })
                .withExecutionOptions(JdbcExecutionOptions.builder()
                        .withBatchSize(batchSize)
                        .withBatchIntervalMs(batchIntervalMillis)
                        .withMaxRetries(5)
                        .build())
                .buildAtLeastOnce(new JdbcConnectionOptions.JdbcConnectionOptionsBuilder()
                        .withUrl(url)
                        .withDriverName("org.postgresql.Driver")
                        .withUsername(user)
                        .withPassword(password)
                        .withConnectionCheckTimeoutSeconds(30)
                        // One multi-row upsert per batch instead of a statement per row. A batch never holds a bucket
                        // twice: the pipeline emits each bucket at most once per checkpoint, and flushes at each one.
                        .withProperty("reWriteBatchedInserts", "true")
                        .build()));
    }
}
