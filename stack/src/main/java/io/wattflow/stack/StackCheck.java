package io.wattflow.stack;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/** Compares the billing truth (PostgreSQL) with the time series (QuestDB), bucket by bucket, to the milli-Wh. */
public final class StackCheck {

    /** Result of a comparison: how many buckets each side has, and how many differ. */
    public record Comparison(int postgresBuckets, int questDbBuckets, int differing, long postgresTotalMilliWattHours,
                             String firstDifference) {
        public boolean identical() {
            return differing == 0 && postgresBuckets == questDbBuckets;
        }
    }

    private StackCheck() {
    }

    public static Comparison compare(PostgresServer postgres, QuestDbServer questDb) {
        return compare(postgres, PostgresServer.DATABASE, questDb);
    }

    public static Comparison compare(PostgresServer postgres, String database, QuestDbServer questDb) {
        Map<String, Long> truth = new HashMap<>();
        long total = 0;
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT meter_id, channel, (extract(epoch FROM bucket_start) * 1000)::bigint, energy_mwh FROM usage_15m")) {
            while (rows.next()) {
                truth.put(rows.getString(1) + "|" + rows.getString(2) + "|" + rows.getLong(3), rows.getLong(4));
                total += rows.getLong(4);
            }
        } catch (SQLException e) {
            throw new StackException("cannot read usage_15m: " + e.getMessage(), e);
        }
        Map<String, Long> series = new HashMap<>();
        Properties credentials = new Properties();
        credentials.setProperty("user", "admin");
        credentials.setProperty("password", "quest");
        credentials.setProperty("sslmode", "disable");
        credentials.setProperty("preferQueryMode", "simple");
        try (Connection connection = DriverManager.getConnection(questDb.jdbcUrl(), credentials);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT meter_id, channel, cast(ts AS long) / 1000, energy_mwh FROM energy")) {
            while (rows.next()) {
                series.put(rows.getString(1) + "|" + rows.getString(2) + "|" + rows.getLong(3), rows.getLong(4));
            }
        } catch (SQLException e) {
            throw new StackException("cannot read QuestDB's energy table: " + e.getMessage(), e);
        }
        int differing = 0;
        String first = null;
        for (Map.Entry<String, Long> entry : truth.entrySet()) {
            Long other = series.get(entry.getKey());
            if (!Objects.equals(entry.getValue(), other)) {
                differing++;
                if (first == null) {
                    first = entry.getKey() + ": PostgreSQL " + entry.getValue() + " mWh, QuestDB " + other;
                }
            }
        }
        return new Comparison(truth.size(), series.size(), differing, total, first);
    }
}
