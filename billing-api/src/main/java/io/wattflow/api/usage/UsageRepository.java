package io.wattflow.api.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** SQL of {@code usage_15m}, in one place. Reads only. */
public final class UsageRepository {
    private final DataSource dataSource;

    public UsageRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Energy of one 15-minute bucket. */
    public record Bucket(Instant start, long energyMilliWattHours) {
    }

    /** The meter's buckets in [from, to), in time order. */
    public List<Bucket> buckets(String meterId, String channel, Instant from, Instant to) {
        String sql = """
                SELECT bucket_start, energy_mwh
                  FROM usage_15m
                 WHERE meter_id = ? AND channel = ? AND bucket_start >= ? AND bucket_start < ?
                 ORDER BY bucket_start
                """;
        return query(sql, meterId, channel, from, to, null);
    }

    /**
     * The meter's energy per local calendar day or month in [from, to): summed in the database, so a ten-year
     * daily report reads a few thousand rows instead of hundreds of thousands.
     */
    public List<Bucket> calendarSums(String meterId, String channel, Instant from, Instant to, String field, ZoneId zone) {
        String sql = """
                SELECT date_trunc(?, bucket_start, ?) AS period_start, sum(energy_mwh)
                  FROM usage_15m
                 WHERE meter_id = ? AND channel = ? AND bucket_start >= ? AND bucket_start < ?
                 GROUP BY period_start
                 ORDER BY period_start
                """;
        return query(sql, meterId, channel, from, to, new String[] {field, postgresZone(zone)});
    }

    /**
     * The zone as PostgreSQL reads it to mean what Java means. Region names (Europe/Berlin, Etc/GMT+5) mean the same in
     * both; a fixed offset does not: PostgreSQL reads '+05:00' or 'UTC+05:00' as a POSIX zone, whose offsets count
     * west of Greenwich, so Java's +05:00 is PostgreSQL's 'UTC-05:00'.
     */
    public static String postgresZone(ZoneId zone) {
        ZoneId normalized = zone.normalized();
        if (normalized instanceof ZoneOffset offset) {
            if (offset.getTotalSeconds() == 0) {
                return "UTC";
            }
            int seconds = -offset.getTotalSeconds(); // POSIX: east of Greenwich is negative
            return String.format("UTC%s%02d:%02d:%02d", seconds < 0 ? "-" : "+", Math.abs(seconds) / 3600,
                    Math.abs(seconds) / 60 % 60, Math.abs(seconds) % 60);
        }
        return normalized.getId();
    }

    private List<Bucket> query(String sql, String meterId, String channel, Instant from, Instant to, String[] truncation) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            int index = 1;
            if (truncation != null) {
                statement.setString(index++, truncation[0]);
                statement.setString(index++, truncation[1]);
            }
            statement.setString(index++, meterId);
            statement.setString(index++, channel);
            statement.setTimestamp(index++, Timestamp.from(from));
            statement.setTimestamp(index, Timestamp.from(to));
            List<Bucket> buckets = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    buckets.add(new Bucket(rows.getObject(1, OffsetDateTime.class).toInstant(), rows.getLong(2)));
                }
            }
            return buckets;
        } catch (SQLException e) {
            throw new IllegalStateException("usage query failed: " + e.getMessage(), e);
        }
    }
}
