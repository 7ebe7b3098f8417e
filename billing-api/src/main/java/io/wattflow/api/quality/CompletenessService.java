package io.wattflow.api.quality;

import io.wattflow.api.customer.MeterId;
import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import io.wattflow.api.usage.UsageQuery;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Completeness of one meter over days, and of the fleet on one day. */
public final class CompletenessService {
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);
    private final CompletenessRepository repository;

    public CompletenessService(CompletenessRepository repository) {
        this.repository = repository;
    }

    /** Every local day of the query's range, those without any bucket included (all missing). */
    public Completeness.MeterReport meter(MeterId meterId, UsageQuery query) {
        Map<LocalDate, Integer> counted = repository.bucketsPerDay(meterId.value(), query.channel(), query.from().toInstant(),
                query.to().toInstant(), query.zone());
        List<Completeness.Day> days = new ArrayList<>();
        int expected = 0;
        int actual = 0;
        for (LocalDate day = query.from().toLocalDate(); day.isBefore(query.to().toLocalDate()); day = day.plusDays(1)) {
            Completeness.Day completeness = Completeness.Day.of(day, Completeness.expectedIntervals(day, query.zone()),
                    counted.getOrDefault(day, 0));
            days.add(completeness);
            expected += completeness.expected();
            actual += completeness.actual();
        }
        return new Completeness.MeterReport(meterId.value(), query.channel(), query.zone().getId(), query.from().toLocalDate().toString(),
                query.to().toLocalDate().toString(), expected, actual, expected - actual, Completeness.percent(actual, expected), days);
    }

    /** {@code FleetCompleteness} in the OpenAPI document; {@code nextOffset} is null on the last page. */
    public record FleetReport(String date, String tz, String channel, BigDecimal thresholdPercent, int expectedPerMeter, long meters,
                              long expected, long actual, long missing, BigDecimal actualPercent, long metersBelow, List<MeterRow> rows,
                              Integer nextOffset) {
    }

    /** A meter below the threshold. */
    public record MeterRow(String meterId, int actual, int missing, BigDecimal actualPercent) {
    }

    public FleetReport fleet(FleetQuery query, int limit, int offset) {
        int perMeter = Completeness.expectedIntervals(query.date(), query.day().zone());
        CompletenessRepository.Fleet fleet = repository.fleet(query.day().channel(), query.day().from().toInstant(),
                query.day().to().toInstant(), perMeter, query.thresholdPercent(), limit, offset);
        List<MeterRow> rows = fleet.page().stream()
                .map(meter -> new MeterRow(meter.meterId(), meter.actual(), perMeter - meter.actual(), Completeness.percent(meter.actual(), perMeter)))
                .toList();
        long expected = fleet.meters() * perMeter;
        Integer nextOffset = offset + rows.size() < fleet.metersBelow() ? offset + rows.size() : null;
        return new FleetReport(query.date().toString(), query.day().zone().getId(), query.day().channel(), query.thresholdPercent(), perMeter,
                fleet.meters(), expected, fleet.actual(), expected - fleet.actual(),
                fleet.meters() == 0 ? null : Completeness.percent(fleet.actual(), expected), fleet.metersBelow(), rows, nextOffset);
    }

    /** A validated fleet query: one local day, a channel, and the threshold in percent (0-100, default 100). */
    public record FleetQuery(LocalDate date, UsageQuery day, BigDecimal thresholdPercent) {
        public static FleetQuery parse(String date, String tz, String channel, String threshold) {
            if (date == null || date.isBlank()) {
                throw ApiProblem.invalidParameter("date is required, e.g. date=2026-11-03");
            }
            LocalDate day;
            try {
                day = SupportedTimes.check("date", LocalDate.parse(date));
            } catch (DateTimeParseException e) {
                throw ApiProblem.invalidParameter("date='" + date + "' is not a date such as 2026-11-03");
            }
            UsageQuery range = UsageQuery.parse(channel, "day", tz, day.toString(), day.plusDays(1).toString());
            return new FleetQuery(day, range, thresholdPercent(threshold));
        }

        private static BigDecimal thresholdPercent(String text) {
            if (text == null) {
                return HUNDRED;
            }
            // plain decimals only, bounded before parsing: no exponents, at most two places
            if (!text.matches("\\d{1,3}(\\.\\d{1,2})?") || new BigDecimal(text).compareTo(HUNDRED) > 0) {
                throw ApiProblem.invalidParameter("threshold must be a percentage from 0 to 100 with at most 2 decimals, e.g. "
                        + "threshold=95; got '" + text + "'");
            }
            return new BigDecimal(text);
        }
    }
}
