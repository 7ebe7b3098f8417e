package io.wattflow.api.usage;

import io.wattflow.api.billing.BillCalculator;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds usage reports from the 15-minute buckets: sums per point of the requested granularity, in exact integers. */
public final class UsageService {
    /** Always with seconds, and the zone's offset (Z for UTC), e.g. 2026-11-28T00:00:00+01:00. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");
    private final UsageRepository repository;

    public UsageService(UsageRepository repository) {
        this.repository = repository;
    }

    public UsageReport meterUsage(UsageQuery query) {
        return report(query, rows(query));
    }

    /**
     * The usage of the meter only within the spans during which it was held (a customer reading its own meter): built
     * from the 15-minute buckets, each kept only when it starts inside a span.
     */
    public UsageReport meterUsage(UsageQuery query, List<BillCalculator.Assignment> spans) {
        List<UsageRepository.Bucket> inside = repository.buckets(query.meterId(), query.channel(), query.from().toInstant(),
                query.to().toInstant()).stream().filter(bucket -> spans.stream().anyMatch(span -> !bucket.start().isBefore(span.from())
                        && (span.to() == null || bucket.start().isBefore(span.to())))).toList();
        return report(query, inside);
    }

    /** A customer's usage: every meter it held, each only within the spans it held it. */
    public Map<String, Object> customerUsage(String customerId, UsageQuery query, List<BillCalculator.Assignment> spans) {
        List<UsageRepository.Bucket> rows = new ArrayList<>();
        java.util.Set<String> meters = new java.util.TreeSet<>();
        for (BillCalculator.Assignment span : spans) {
            java.time.Instant from = span.from().isAfter(query.from().toInstant()) ? span.from() : query.from().toInstant();
            java.time.Instant to = span.to() == null || span.to().isAfter(query.to().toInstant()) ? query.to().toInstant() : span.to();
            if (from.isBefore(to)) {
                rows.addAll(repository.buckets(span.meterId(), query.channel(), from, to));
                meters.add(span.meterId());
            }
        }
        UsageReport report = report(query, rows);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("customerId", customerId);
        view.put("channel", report.channel());
        view.put("granularity", report.granularity());
        view.put("tz", report.tz());
        view.put("unit", report.unit());
        view.put("meters", List.copyOf(meters));
        view.put("points", report.points());
        view.put("totalKwh", report.totalKwh());
        return view;
    }

    private List<UsageRepository.Bucket> rows(UsageQuery query) {
        return switch (query.granularity()) {
            case DAY -> repository.calendarSums(query.meterId(), query.channel(), query.from().toInstant(), query.to().toInstant(),
                    "day", query.zone().getId());
            case MONTH -> repository.calendarSums(query.meterId(), query.channel(), query.from().toInstant(), query.to().toInstant(),
                    "month", query.zone().getId());
            default -> repository.buckets(query.meterId(), query.channel(), query.from().toInstant(), query.to().toInstant());
        };
    }

    private UsageReport report(UsageQuery query, List<UsageRepository.Bucket> rows) {
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
        return new UsageReport(query.meterId(), query.channel(), query.granularity().code(), query.zone().getId(), "kWh", points,
                UsageReport.kilowattHours(total));
    }
}
