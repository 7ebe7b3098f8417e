package io.wattflow.api.usage;

import io.wattflow.api.billing.BillCalculator;
import io.wattflow.api.customer.MeterId;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Builds usage reports from the 15-minute buckets: sums per point of the requested granularity, in exact integers. */
public final class UsageService {
    /** Always with seconds, and the zone's offset (Z for UTC), e.g. 2026-11-28T00:00:00+01:00. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");
    private final UsageRepository repository;

    public UsageService(UsageRepository repository) {
        this.repository = repository;
    }

    public UsageReport meterUsage(MeterId meterId, UsageQuery query) {
        return report(meterId, query, rows(query, meterId.value(), query.from().toInstant(), query.to().toInstant()));
    }

    /**
     * The usage of the meter only within the spans during which it was held (a customer reading its own meter): each
     * span's part of the range summed as an operator's report is (days and months in the database), then the parts
     * added up per point.
     */
    public UsageReport meterUsage(MeterId meterId, UsageQuery query, List<BillCalculator.Assignment> spans) {
        List<UsageRepository.Bucket> rows = new ArrayList<>();
        for (BillCalculator.Assignment span : spans) {
            if (span.meterId().equals(meterId.value())) {
                rowsWithin(query, span, rows);
            }
        }
        return report(meterId, query, rows);
    }

    /** {@code CustomerUsage} in the OpenAPI document: the meters that contributed, and their sum per point. */
    public record CustomerUsage(String customerId, String channel, String granularity, String tz, String unit, List<String> meters,
            List<UsageReport.Point> points, BigDecimal totalKwh) {
    }

    /** A customer's usage: every meter it held, each only within the spans it held it. */
    public CustomerUsage customerUsage(String customerId, UsageQuery query, List<BillCalculator.Assignment> spans) {
        List<UsageRepository.Bucket> rows = new ArrayList<>();
        Set<String> meters = new TreeSet<>();
        for (BillCalculator.Assignment span : spans) {
            if (rowsWithin(query, span, rows)) {
                meters.add(span.meterId());
            }
        }
        UsageReport report = report(null, query, rows);
        return new CustomerUsage(customerId, report.channel(), report.granularity(), report.tz(), report.unit(), List.copyOf(meters),
                report.points(), report.totalKwh());
    }

    /** Adds the rows of the span's meter within both the span and the query's range; false when they do not meet. */
    private boolean rowsWithin(UsageQuery query, BillCalculator.Assignment span, List<UsageRepository.Bucket> rows) {
        Instant from = span.from().isAfter(query.from().toInstant()) ? span.from() : query.from().toInstant();
        Instant to = span.to() == null || span.to().isAfter(query.to().toInstant()) ? query.to().toInstant() : span.to();
        if (!from.isBefore(to)) {
            return false;
        }
        rows.addAll(rows(query, span.meterId(), from, to));
        return true;
    }

    /**
     * Day and month points are summed by the database (a span that starts mid-day gives that day's part, and
     * {@link #report} adds the parts of one local day together); finer points are read bucket by bucket.
     */
    private List<UsageRepository.Bucket> rows(UsageQuery query, String meterId, Instant from, Instant to) {
        return switch (query.granularity()) {
            case DAY -> repository.calendarSums(meterId, query.channel(), from, to, "day", query.zone());
            case MONTH -> repository.calendarSums(meterId, query.channel(), from, to, "month", query.zone());
            default -> repository.buckets(meterId, query.channel(), from, to);
        };
    }

    private UsageReport report(MeterId meterId, UsageQuery query, List<UsageRepository.Bucket> rows) {
        // Regroup in Java in every case: the point of a row is its local floor in the zone (a no-op for database sums).
        Map<ZonedDateTime, Long> sums = new LinkedHashMap<>();
        for (UsageRepository.Bucket row : rows) {
            ZonedDateTime start = query.granularity().floor(row.start().atZone(query.zone()));
            sums.merge(start, row.energyMilliWattHours(), Math::addExact);
        }
        List<UsageReport.Point> points = new ArrayList<>(sums.size());
        long total = 0;
        for (Map.Entry<ZonedDateTime, Long> sum : sums.entrySet()) {
            ZonedDateTime start = sum.getKey();
            points.add(new UsageReport.Point(TIME.format(start),
                    TIME.format(query.granularity().next(start)), UsageReport.kilowattHours(sum.getValue())));
            total = Math.addExact(total, sum.getValue());
        }
        return new UsageReport(meterId == null ? null : meterId.value(), query.channel(), query.granularity().code(), query.zone().getId(), "kWh", points,
                UsageReport.kilowattHours(total));
    }
}
