package io.wattflow.api.tariff;

import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/** Creating tariffs and adding versions (admin): validated so that every minute of every day has a rate. */
public final class TariffService {
    private final DataSource dataSource;
    private final TariffRepository tariffs;

    public TariffService(DataSource dataSource, TariffRepository tariffs) {
        this.dataSource = dataSource;
        this.tariffs = tariffs;
    }

    /** {@code POST /api/v1/tariffs}: a tariff with its first version. */
    public record CreateTariff(String id, String name, String currency, NewVersion version) {
    }

    /** {@code POST /api/v1/tariffs/{id}/versions}. */
    public record NewVersion(String validFrom, BigDecimal standingChargePerDay, BigDecimal taxRate, List<NewRate> rates) {
    }

    /** A time-of-use rate: day type all, weekday or weekend; local times HH:mm. */
    public record NewRate(String period, String days, String from, String to, BigDecimal pricePerKwh) {
    }

    public Tariff create(CreateTariff request) {
        if (request.id() == null || !request.id().matches("[A-Za-z0-9._-]{1,64}")) {
            throw ApiProblem.invalidParameter("id must be 1-64 letters, digits, '.', '_' or '-'");
        }
        if (request.name() == null || request.name().isBlank() || request.name().length() > 200) {
            throw ApiProblem.invalidParameter("name must have 1 to 200 characters");
        }
        Currency currency;
        try {
            currency = Currency.getInstance(String.valueOf(request.currency()));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalidParameter("currency must be an ISO 4217 code such as EUR; got '" + request.currency() + "'");
        }
        if (request.version() == null) {
            throw ApiProblem.invalidParameter("version is required: the tariff's first prices");
        }
        TariffVersion version = validate(request.version());
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO tariff (id, name, currency) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
                insert.setString(1, request.id());
                insert.setString(2, request.name().strip());
                insert.setString(3, currency.getCurrencyCode());
                if (insert.executeUpdate() == 0) {
                    connection.rollback();
                    throw ApiProblem.conflict("tariff '" + request.id() + "' exists already; add a version instead");
                }
                insertVersion(connection, request.id(), version);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("creating the tariff failed: " + e.getMessage(), e);
        }
        return tariffs.find(request.id()).orElseThrow();
    }

    public Tariff addVersion(String tariffId, NewVersion request) {
        if (!tariffs.exists(tariffId)) {
            throw ApiProblem.notFound("no tariff '" + tariffId + "'");
        }
        TariffVersion version = validate(request);
        try (Connection connection = dataSource.getConnection()) {
            insertVersion(connection, tariffId, version);
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                throw ApiProblem.conflict("tariff '" + tariffId + "' has a version from " + version.validFrom() + " already");
            }
            throw new IllegalStateException("adding the tariff version failed: " + e.getMessage(), e);
        }
        return tariffs.find(tariffId).orElseThrow();
    }

    private static TariffVersion validate(NewVersion version) {
        LocalDate validFrom;
        try {
            validFrom = SupportedTimes.check("validFrom", LocalDate.parse(String.valueOf(version.validFrom())));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("validFrom must be a date such as 2026-01-01; got '" + version.validFrom() + "'");
        }
        if (version.standingChargePerDay() == null || version.standingChargePerDay().signum() < 0) {
            throw ApiProblem.invalidParameter("standingChargePerDay must be a non-negative number");
        }
        if (version.taxRate() == null || version.taxRate().signum() < 0 || version.taxRate().compareTo(BigDecimal.ONE) >= 0) {
            throw ApiProblem.invalidParameter("taxRate must be at least 0 and below 1, e.g. 0.19");
        }
        if (version.rates() == null || version.rates().isEmpty() || version.rates().size() > 48) {
            throw ApiProblem.invalidParameter("rates must list 1 to 48 time-of-use rates");
        }
        List<TimeOfUseRate> rates = version.rates().stream().map(TariffService::rate).toList();
        TariffVersion parsed = new TariffVersion(validFrom, version.standingChargePerDay(), version.taxRate(), rates);
        // Every minute of a weekday and of a weekend day must have a rate.
        for (LocalDate day : List.of(LocalDate.of(2026, 1, 5), LocalDate.of(2026, 1, 10))) {
            for (int minute = 0; minute < 24 * 60; minute++) {
                LocalTime time = LocalTime.MIDNIGHT.plusMinutes(minute);
                if (rates.stream().noneMatch(rate -> rate.applies(day, time))) {
                    throw ApiProblem.invalidParameter("no rate covers " + time + " on " + (DayType.WEEKEND.includes(day) ? "weekends" : "weekdays")
                            + ": the rates must cover every minute of every day");
                }
            }
        }
        return parsed;
    }

    private static TimeOfUseRate rate(NewRate rate) {
        if (rate.period() == null || rate.period().isBlank() || rate.period().length() > 64) {
            throw ApiProblem.invalidParameter("every rate needs a period name of 1 to 64 characters, e.g. peak");
        }
        DayType days;
        try {
            days = DayType.valueOf(String.valueOf(rate.days() == null ? "all" : rate.days()).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalidParameter("days must be all, weekday or weekend; got '" + rate.days() + "'");
        }
        if (rate.pricePerKwh() == null || rate.pricePerKwh().signum() < 0 || rate.pricePerKwh().scale() > 6) {
            throw ApiProblem.invalidParameter("pricePerKwh must be a non-negative number with at most 6 decimals");
        }
        try {
            return new TimeOfUseRate(rate.period(), days, LocalTime.parse(String.valueOf(rate.from())), LocalTime.parse(String.valueOf(rate.to())),
                    rate.pricePerKwh());
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter("from and to must be local times such as 07:00; got '" + rate.from() + "' and '" + rate.to() + "'");
        }
    }

    private static void insertVersion(Connection connection, String tariffId, TariffVersion version) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO tariff_version (tariff_id, valid_from, standing_charge_per_day, tax_rate) VALUES (?, ?, ?, ?)");
             PreparedStatement rate = connection.prepareStatement("""
                     INSERT INTO tariff_rate (tariff_id, valid_from, position, period, day_type, from_time, to_time, price_per_kwh)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                     """)) {
            insert.setString(1, tariffId);
            insert.setObject(2, version.validFrom());
            insert.setBigDecimal(3, version.standingChargePerDay());
            insert.setBigDecimal(4, version.taxRate());
            insert.executeUpdate();
            int position = 1;
            for (TimeOfUseRate r : version.rates()) {
                rate.setString(1, tariffId);
                rate.setObject(2, version.validFrom());
                rate.setInt(3, position++);
                rate.setString(4, r.period());
                rate.setString(5, r.days().name().toLowerCase(Locale.ROOT));
                rate.setObject(6, r.from());
                rate.setObject(7, r.to());
                rate.setBigDecimal(8, r.pricePerKwh());
                rate.addBatch();
            }
            rate.executeBatch();
        }
    }
}
