package io.wattflow.api.tariff;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** SQL of tariffs, in one place. */
public final class TariffRepository {
    private final DataSource dataSource;

    private record VersionRows(BigDecimal standing, BigDecimal tax, List<TimeOfUseRate> rates) {
    }

    public TariffRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public boolean exists(String tariffId) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("SELECT 1 FROM tariff WHERE id = ?")) {
            statement.setString(1, tariffId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("tariff lookup failed: " + e.getMessage(), e);
        }
    }

    /** The tariff with all its versions and rates. */
    public Optional<Tariff> find(String tariffId) {
        String sql = """
                SELECT t.name, t.currency, v.valid_from, v.standing_charge_per_day, v.tax_rate,
                       r.period, r.day_type, r.from_time, r.to_time, r.price_per_kwh
                  FROM tariff t
                  JOIN tariff_version v ON v.tariff_id = t.id
                  JOIN tariff_rate r ON r.tariff_id = v.tariff_id AND r.valid_from = v.valid_from
                 WHERE t.id = ?
                 ORDER BY v.valid_from, r.position
                """;
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, tariffId);
            String name = null;
            Currency currency = null;
            Map<LocalDate, VersionRows> versions = new LinkedHashMap<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    name = rows.getString(1);
                    currency = Currency.getInstance(rows.getString(2));
                    LocalDate validFrom = rows.getObject(3, LocalDate.class);
                    BigDecimal standing = rows.getBigDecimal(4);
                    BigDecimal tax = rows.getBigDecimal(5);
                    versions.computeIfAbsent(validFrom, date -> new VersionRows(standing, tax, new ArrayList<>())).rates()
                            .add(new TimeOfUseRate(rows.getString(6), DayType.valueOf(rows.getString(7).toUpperCase(Locale.ROOT)),
                                    rows.getObject(8, LocalTime.class), rows.getObject(9, LocalTime.class), rows.getBigDecimal(10)));
                }
            }
            if (name == null) {
                return Optional.empty();
            }
            List<TariffVersion> list = new ArrayList<>();
            versions.forEach((validFrom, rows) -> list.add(new TariffVersion(validFrom, rows.standing(), rows.tax(), rows.rates())));
            return Optional.of(new Tariff(tariffId, name, currency, list));
        } catch (SQLException e) {
            throw new IllegalStateException("tariff query failed: " + e.getMessage(), e);
        }
    }
}
