package io.wattflow.api.quality;

import io.wattflow.api.usage.UsageRepository;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Counts of buckets in {@code usage_15m}, per meter and local day. Reads only. */
public final class CompletenessRepository {
    private final DataSource dataSource;

    public CompletenessRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The meter's buckets per local day in [from, to), counted in the database (one index range scan). */
    public Map<LocalDate, Integer> bucketsPerDay(String meterId, String channel, Instant from, Instant to, ZoneId zone) {
        String sql = """
                SELECT date_trunc('day', bucket_start, ?) AS day, count(*)
                  FROM usage_15m
                 WHERE meter_id = ? AND channel = ? AND bucket_start >= ? AND bucket_start < ?
                 GROUP BY day
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, UsageRepository.postgresZone(zone));
            statement.setString(2, meterId);
            statement.setString(3, channel);
            statement.setTimestamp(4, Timestamp.from(from));
            statement.setTimestamp(5, Timestamp.from(to));
            Map<LocalDate, Integer> counts = new TreeMap<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getObject(1, OffsetDateTime.class).atZoneSameInstant(zone).toLocalDate(), rows.getInt(2));
                }
            }
            return counts;
        } catch (SQLException e) {
            throw new IllegalStateException("completeness query failed: " + e.getMessage(), e);
        }
    }

    /** The fleet of a day: its size and bucket count, and one page of the meters below the threshold. */
    public record Fleet(long meters, long actual, long metersBelow, List<MeterCount> page) {
    }

    public record MeterCount(String meterId, int actual) {
    }

    /**
     * The fleet of [from, to): every meter held by a customer at some moment of it, and every meter with a bucket in it.
     * Meters below {@code thresholdPercent} of {@code expected} come fewest buckets first, then by id. One statement,
     * so the summary and the page agree; PostgreSQL scans the day's buckets once (the {@code fleet} CTE is
     * materialized because it is read twice).
     */
    public Fleet fleet(String channel, Instant from, Instant to, int expected, BigDecimal thresholdPercent, int limit, int offset) {
        String sql = """
                WITH counted AS (
                    SELECT meter_id, count(*) AS actual
                      FROM usage_15m
                     WHERE channel = ? AND bucket_start >= ? AND bucket_start < ?
                     GROUP BY meter_id),
                held AS (
                    SELECT DISTINCT meter_id
                      FROM (SELECT meter_id, customer_id, valid_from,
                                   lead(valid_from) OVER (PARTITION BY meter_id ORDER BY valid_from) AS valid_to
                              FROM meter_assignment) span
                     WHERE customer_id IS NOT NULL AND valid_from < ? AND (valid_to IS NULL OR valid_to > ?)),
                fleet AS (
                    SELECT meter_id, coalesce(counted.actual, 0) AS actual,
                           coalesce(counted.actual, 0) * 100 < CAST(? AS numeric) * ? AS below
                      FROM held FULL JOIN counted USING (meter_id)),
                summary AS (
                    SELECT count(*) AS meters, coalesce(sum(actual), 0) AS actual, count(*) FILTER (WHERE below) AS below
                      FROM fleet),
                page AS (
                    SELECT meter_id, actual FROM fleet WHERE below ORDER BY actual, meter_id LIMIT ? OFFSET ?)
                SELECT summary.meters, summary.actual, summary.below, page.meter_id, page.actual
                  FROM summary LEFT JOIN page ON true
                 ORDER BY page.actual, page.meter_id
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, channel);
            statement.setTimestamp(2, Timestamp.from(from));
            statement.setTimestamp(3, Timestamp.from(to));
            statement.setTimestamp(4, Timestamp.from(to));
            statement.setTimestamp(5, Timestamp.from(from));
            statement.setBigDecimal(6, thresholdPercent);
            statement.setInt(7, expected);
            statement.setInt(8, limit);
            statement.setInt(9, offset);
            long meters = 0;
            long actual = 0;
            long below = 0;
            List<MeterCount> page = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    meters = rows.getLong(1);
                    actual = rows.getLong(2);
                    below = rows.getLong(3);
                    if (rows.getString(4) != null) {
                        page.add(new MeterCount(rows.getString(4), rows.getInt(5)));
                    }
                }
            }
            return new Fleet(meters, actual, below, page);
        } catch (SQLException e) {
            throw new IllegalStateException("fleet completeness query failed: " + e.getMessage(), e);
        }
    }
}
