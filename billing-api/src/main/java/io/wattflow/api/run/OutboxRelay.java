package io.wattflow.api.run;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays outbox rows to Kafka, oldest first, and marks them published. At least once: a crash between the send and
 * the mark sends the event again, which is why every event carries an id that consumers dedupe on. Rows are locked
 * with SKIP LOCKED, so several instances relay side by side without sending a row twice in the normal case.
 */
public final class OutboxRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

    private final DataSource dataSource;
    private final KafkaProducer<String, String> producer;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "outbox-relay");
        thread.setDaemon(true);
        return thread;
    });

    public OutboxRelay(DataSource dataSource, String bootstrapServers) {
        this.dataSource = dataSource;
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        this.producer = new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer());
    }

    public void start(Duration interval) {
        executor.scheduleWithFixedDelay(this::relaySafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void relaySafely() {
        try {
            while (relayBatch() > 0) {
                // drain what is there
            }
        } catch (RuntimeException e) {
            LOG.warn("outbox relay failed ({}); it retries", e.getMessage());
        }
    }

    /** Sends up to 100 unpublished events and marks them; returns how many. */
    int relayBatch() {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                List<UUID> sent = new ArrayList<>();
                try (PreparedStatement select = connection.prepareStatement("""
                        SELECT id, topic, event_key, payload::text FROM outbox WHERE published_at IS NULL
                         ORDER BY created_at LIMIT 100 FOR UPDATE SKIP LOCKED
                        """); ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        producer.send(new ProducerRecord<>(rows.getString(2), rows.getString(3), rows.getString(4))).get(30, TimeUnit.SECONDS);
                        sent.add(rows.getObject(1, UUID.class));
                    }
                }
                try (PreparedStatement mark = connection.prepareStatement("UPDATE outbox SET published_at = now() WHERE id = ?")) {
                    for (UUID id : sent) {
                        mark.setObject(1, id);
                        mark.addBatch();
                    }
                    mark.executeBatch();
                }
                connection.commit();
                return sent.size();
            } catch (Exception e) {
                connection.rollback();
                throw new IllegalStateException("relaying the outbox failed: " + e.getMessage(), e);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the outbox is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        producer.close(Duration.ofSeconds(5));
    }
}
