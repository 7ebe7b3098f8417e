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

    /**
     * Result of a comparison: how many buckets each side has and how many differ, per meter (measurement energy) and
     * fleet-wide (measurement fleet: the sum and the count of the meters' buckets).
     */
    public record Comparison(int postgresBuckets, int questDbBuckets, int differing, long postgresTotalMilliWattHours,
                             int fleetBuckets, int questDbFleetBuckets, int fleetDiffering, String firstDifference) {
        public boolean identical() {
            return differing == 0 && postgresBuckets == questDbBuckets && fleetDiffering == 0 && fleetBuckets == questDbFleetBuckets;
        }
    }

    private StackCheck() {
    }

    public static Comparison compare(PostgresServer postgres, QuestDbServer questDb) {
        return compare(postgres, PostgresServer.DATABASE, questDb);
    }

    public static Comparison compare(PostgresServer postgres, String database, QuestDbServer questDb) {
        Map<String, String> truth = new HashMap<>();
        Map<String, String> fleetTruth = new HashMap<>();
        long total = 0;
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery(
                    "SELECT meter_id, channel, (extract(epoch FROM bucket_start) * 1000)::bigint, energy_mwh FROM usage_15m")) {
                while (rows.next()) {
                    truth.put(rows.getString(1) + "|" + rows.getString(2) + "|" + rows.getLong(3), Long.toString(rows.getLong(4)));
                    total += rows.getLong(4);
                }
            }
            try (ResultSet rows = statement.executeQuery("SELECT channel, (extract(epoch FROM bucket_start) * 1000)::bigint, "
                    + "sum(energy_mwh), count(*) FROM usage_15m GROUP BY 1, 2")) {
                while (rows.next()) {
                    fleetTruth.put(rows.getString(1) + "|" + rows.getLong(2), rows.getLong(3) + " mWh from " + rows.getLong(4) + " meters");
                }
            }
        } catch (SQLException e) {
            throw new StackException("cannot read usage_15m: " + e.getMessage(), e);
        }
        Map<String, String> series = new HashMap<>();
        Map<String, String> fleetSeries = new HashMap<>();
        try (Connection connection = connectQuestDb(questDb);
             Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT meter_id, channel, cast(ts AS long) / 1000, energy_mwh FROM energy")) {
                while (rows.next()) {
                    series.put(rows.getString(1) + "|" + rows.getString(2) + "|" + rows.getLong(3), Long.toString(rows.getLong(4)));
                }
            }
            try (ResultSet rows = statement.executeQuery("SELECT channel, cast(ts AS long) / 1000, energy_mwh, meters FROM fleet")) {
                while (rows.next()) {
                    fleetSeries.put(rows.getString(1) + "|" + rows.getLong(2), rows.getLong(3) + " mWh from " + rows.getLong(4) + " meters");
                }
            }
        } catch (SQLException e) {
            throw new StackException("cannot read QuestDB's energy and fleet tables: " + e.getMessage(), e);
        }
        String[] first = new String[1];
        int differing = differences(truth, series, "", first);
        int fleetDiffering = differences(fleetTruth, fleetSeries, "fleet ", first);
        return new Comparison(truth.size(), series.size(), differing, total, fleetTruth.size(), fleetSeries.size(), fleetDiffering, first[0]);
    }

    private static int differences(Map<String, String> truth, Map<String, String> series, String label, String[] first) {
        int differing = 0;
        for (Map.Entry<String, String> entry : truth.entrySet()) {
            String other = series.get(entry.getKey());
            if (!Objects.equals(entry.getValue(), other)) {
                differing++;
                if (first[0] == null) {
                    first[0] = label + entry.getKey() + ": PostgreSQL " + entry.getValue() + ", QuestDB " + other;
                }
            }
        }
        return differing;
    }

    /** QuestDB over its PostgreSQL wire protocol (its local default credentials). */
    static Connection connectQuestDb(QuestDbServer questDb) throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", "admin");
        credentials.setProperty("password", "quest");
        credentials.setProperty("sslmode", "disable");
        credentials.setProperty("preferQueryMode", "simple");
        credentials.setProperty("connectTimeout", PostgresServer.PATIENT_CONNECT_SECONDS); // as patient as with PostgreSQL
        credentials.setProperty("loginTimeout", PostgresServer.PATIENT_CONNECT_SECONDS);
        return DriverManager.getConnection(questDb.jdbcUrl(), credentials);
    }
}
