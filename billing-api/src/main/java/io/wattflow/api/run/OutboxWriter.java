package io.wattflow.api.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;

/** Writes an event of {@code billing.events} to the transactional outbox, in the caller's transaction; the relay publishes it. */
public final class OutboxWriter implements BillingRunRepository.Outbox {
    private final ObjectMapper json;

    public OutboxWriter(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public void write(Connection connection, String key, BillingEvent event) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO outbox (id, topic, event_key, payload) VALUES (?, 'billing.events', ?, ?::jsonb)")) {
            statement.setObject(1, UUID.fromString(event.eventId()));
            statement.setString(2, key);
            statement.setString(3, json.writeValueAsString(event));
            statement.executeUpdate();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event that is not JSON: " + e.getMessage(), e);
        }
    }
}
