package io.wattflow.api.billing;

import io.wattflow.api.tariff.Tariff;
import io.wattflow.api.tariff.TariffVersion;
import io.wattflow.api.tariff.TimeOfUseRate;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Currency;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Prices one customer's calendar month in the customer's time zone: every 15-minute bucket of usage at the
 * time-of-use rate of its local time (tariff version of its local date), a standing charge per local day, tax per
 * rate on the rounded lines. A pure function of its inputs; DST days simply have 92 or 100 buckets.
 *
 * <p>Usage comes summed per rate run ({@link #rateRuns}): the month cut where the local date or a rate boundary of
 * any linked tariff changes, so every bucket of a run has the same tariff version and rate. PostgreSQL sums the
 * buckets per run (93 rows for a meter's 31-day month on a day/night tariff instead of 2,976), and the bill is the same
 * to the milli-Wh and the cent as pricing bucket by bucket.
 */
public final class BillCalculator {
    private static final long SLOT_SECONDS = 900;

    private BillCalculator() {
    }

    /** The customer's tariff from a local date on. */
    public record TariffLink(LocalDate validFrom, Tariff tariff) {
    }

    /** A meter belonged to the customer over [from, to); {@code to} null while it still does. */
    public record Assignment(String meterId, Instant from, Instant to) {
    }

    /** Energy of one meter in one 15-minute bucket. */
    public record Usage(String meterId, Instant bucketStart, long milliWattHours) {
    }

    /**
     * Energy of one meter's buckets in the rate run that starts at {@code runStart}, only buckets of the period while
     * the meter was the customer's; {@code buckets} of them had a row.
     */
    public record UsageSum(String meterId, Instant runStart, long milliWattHours, long buckets) {
    }

    /**
     * Where the period's rate runs start, in order: the first at the period's start, then every 15-minute bucket whose
     * local date, or whose place among the time-of-day boundaries of every rate of every linked tariff, differs from
     * the bucket before it. Walked bucket by bucket with Java's zone rules, so the DST days' repeated and missing local
     * hours are cut exactly as the bucket-by-bucket pricing sees them.
     */
    public static List<Instant> rateRuns(ZoneId zone, YearMonth period, List<TariffLink> links) {
        return rateRuns(zone, period, rateBoundaries(links));
    }

    /** Every local time of day at which a rate of a linked tariff starts or ends, and midnight. */
    public static SortedSet<LocalTime> rateBoundaries(List<TariffLink> links) {
        TreeSet<LocalTime> boundaries = new TreeSet<>();
        boundaries.add(LocalTime.MIDNIGHT);
        for (TariffLink link : links) {
            for (TariffVersion version : link.tariff().versions()) {
                for (TimeOfUseRate rate : version.rates()) {
                    boundaries.add(rate.from());
                    boundaries.add(rate.to());
                }
            }
        }
        return Collections.unmodifiableSortedSet(boundaries);
    }

    /** {@link #rateRuns(ZoneId, YearMonth, List)} from the boundaries: the same for every customer with them. */
    public static List<Instant> rateRuns(ZoneId zone, YearMonth period, SortedSet<LocalTime> rateBoundaries) {
        TreeSet<LocalTime> boundaries = new TreeSet<>(rateBoundaries);
        Instant start = period.atDay(1).atStartOfDay(zone).toInstant();
        Instant end = period.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant();
        List<Instant> runs = new ArrayList<>();
        LocalDate lastDate = null;
        LocalTime lastBoundary = null;
        for (Instant bucket = start; bucket.isBefore(end); bucket = bucket.plusSeconds(SLOT_SECONDS)) {
            LocalDateTime local = LocalDateTime.ofInstant(bucket, zone);
            LocalTime boundary = boundaries.floor(local.toLocalTime());
            if (!local.toLocalDate().equals(lastDate) || !boundary.equals(lastBoundary)) {
                runs.add(bucket);
                lastDate = local.toLocalDate();
                lastBoundary = boundary;
            }
        }
        return List.copyOf(runs);
    }

    private record EnergyKey(String tariffId, LocalDate validFrom, String period, BigDecimal price) {
    }

    private record VersionKey(String tariffId, LocalDate validFrom) {
    }

    /**
     * The spans within [from, to) during which the customer held each meter, clipped to the period, overlapping or
     * touching spans of a meter merged: disjoint, every end set. Summing usage over them counts each bucket once.
     */
    public static List<Assignment> heldWithin(List<Assignment> assignments, Instant from, Instant to) {
        Map<String, List<Assignment>> byMeter = new TreeMap<>();
        for (Assignment span : assignments) {
            Instant start = span.from().isAfter(from) ? span.from() : from;
            Instant end = span.to() == null || span.to().isAfter(to) ? to : span.to();
            if (start.isBefore(end)) {
                byMeter.computeIfAbsent(span.meterId(), meter -> new ArrayList<>()).add(new Assignment(span.meterId(), start, end));
            }
        }
        List<Assignment> held = new ArrayList<>();
        for (List<Assignment> spans : byMeter.values()) {
            spans.sort(Comparator.comparing(Assignment::from));
            Assignment current = spans.get(0);
            for (Assignment next : spans.subList(1, spans.size())) {
                if (next.from().isAfter(current.to())) {
                    held.add(current);
                    current = next;
                } else if (next.to().isAfter(current.to())) {
                    current = new Assignment(current.meterId(), current.from(), next.to());
                }
            }
            held.add(current);
        }
        return held;
    }

    /** The bill from single buckets: each its own run, kept when it lies in the period and its meter was the customer's. */
    public static Bill price(String customerId, ZoneId zone, YearMonth period, List<TariffLink> links, List<Assignment> assignments,
                             List<Usage> usage) {
        Instant start = period.atDay(1).atStartOfDay(zone).toInstant();
        Instant end = period.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant();
        List<UsageSum> sums = new ArrayList<>();
        for (Usage row : usage) {
            if (!row.bucketStart().isBefore(start) && row.bucketStart().isBefore(end) && assigned(assignments, row)) {
                sums.add(new UsageSum(row.meterId(), row.bucketStart(), row.milliWattHours(), 1));
            }
        }
        return priceSums(customerId, zone, period, links, assignments, sums);
    }

    /**
     * The bill from usage summed per rate run ({@link #rateRuns} of the same links), already limited to the spans
     * the meters were the customer's within the period ({@link #heldWithin}).
     */
    public static Bill priceSums(String customerId, ZoneId zone, YearMonth period, List<TariffLink> links, List<Assignment> assignments,
                                 List<UsageSum> usage) {
        Instant start = period.atDay(1).atStartOfDay(zone).toInstant();
        Instant end = period.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant();
        Currency currency = currency(links);

        Map<EnergyKey, long[]> energyByRate = new HashMap<>();
        Map<VersionKey, BigDecimal> taxRates = new LinkedHashMap<>();
        Map<LocalDate, Optional<Priced>> versionsByDay = new HashMap<>();
        Map<String, Long> covered = new LinkedHashMap<>();
        long totalMilliWattHours = 0;
        for (UsageSum row : usage) {
            covered.merge(row.meterId(), row.buckets(), Long::sum);
            LocalDateTime local = LocalDateTime.ofInstant(row.runStart(), zone);
            Optional<Priced> priced = versionsByDay.computeIfAbsent(local.toLocalDate(), day -> versionOn(links, day));
            if (priced.isEmpty()) {
                continue; // before the customer's first tariff: nothing to price
            }
            TariffVersion version = priced.get().version();
            TimeOfUseRate rate = version.rateAt(local);
            energyByRate.computeIfAbsent(new EnergyKey(priced.get().tariffId(), version.validFrom(), rate.period(), rate.pricePerKwh()),
                    key -> new long[1])[0] += row.milliWattHours();
            taxRates.putIfAbsent(new VersionKey(priced.get().tariffId(), version.validFrom()), version.taxRate());
            totalMilliWattHours += row.milliWattHours();
        }
        Map<EnergyKey, Long> energy = new TreeMap<>(Comparator.comparing(EnergyKey::validFrom).thenComparing(EnergyKey::tariffId)
                .thenComparing(EnergyKey::period).thenComparing(EnergyKey::price));
        energyByRate.forEach((key, milliWattHours) -> energy.merge(key, milliWattHours[0], Long::sum));

        Map<VersionKey, long[]> standingDays = new LinkedHashMap<>();
        Map<VersionKey, BigDecimal> standingCharges = new LinkedHashMap<>();
        for (LocalDate day = period.atDay(1); !day.isAfter(period.atEndOfMonth()); day = day.plusDays(1)) {
            Optional<Priced> priced = versionOn(links, day);
            if (priced.isPresent()) {
                VersionKey key = new VersionKey(priced.get().tariffId(), priced.get().version().validFrom());
                standingDays.computeIfAbsent(key, k -> new long[1])[0]++;
                standingCharges.put(key, priced.get().version().standingChargePerDay());
                taxRates.put(key, priced.get().version().taxRate());
            }
        }

        List<Bill.Line> lines = new ArrayList<>();
        for (Map.Entry<EnergyKey, Long> entry : energy.entrySet()) {
            EnergyKey key = entry.getKey();
            BigDecimal kwh = BigDecimal.valueOf(entry.getValue(), 6);
            BigDecimal amount = Money.round(kwh.multiply(key.price()), currency);
            lines.add(new Bill.Line("energy", null, key.tariffId(), key.validFrom().toString(), key.period(), kwh, "kWh", key.price(), amount,
                    taxRates.get(new VersionKey(key.tariffId(), key.validFrom())).stripTrailingZeros()));
        }
        for (Map.Entry<VersionKey, long[]> entry : standingDays.entrySet()) {
            BigDecimal days = BigDecimal.valueOf(entry.getValue()[0]);
            BigDecimal perDay = standingCharges.get(entry.getKey());
            BigDecimal amount = Money.round(days.multiply(perDay), currency);
            lines.add(new Bill.Line("standing_charge", null, entry.getKey().tariffId(), entry.getKey().validFrom().toString(),
                    "standing charge", days, "day", perDay, amount, taxRates.get(entry.getKey()).stripTrailingZeros()));
        }
        return assemble(customerId, period.toString(), zone.getId(), currency, lines, BigDecimal.valueOf(totalMilliWattHours, 6),
                completeness(assignments, covered, start, end));
    }

    /** The bill with adjustment lines for earlier periods added: subtotal, taxes and total follow the rounding rule again. */
    public static Bill withAdjustments(Bill bill, List<Bill.Line> adjustments) {
        List<Bill.Line> lines = new ArrayList<>(bill.lines());
        lines.addAll(adjustments);
        return assemble(bill.customerId(), bill.period(), bill.timezone(), Currency.getInstance(bill.currency()), lines, bill.totalKwh(),
                bill.completeness());
    }

    /** Subtotal = sum of the rounded lines; tax per rate on the rounded subtotal of its lines, rounded; total = subtotal + taxes. */
    private static Bill assemble(String customerId, String period, String zone, Currency currency, List<Bill.Line> lines, BigDecimal totalKwh,
                                 Map<String, BigDecimal> completeness) {
        Map<BigDecimal, BigDecimal> taxBases = new TreeMap<>();
        for (Bill.Line line : lines) {
            taxBases.merge(line.taxRate(), line.amount(), BigDecimal::add);
        }
        BigDecimal subtotal = lines.stream().map(Bill.Line::amount).reduce(Money.round(BigDecimal.ZERO, currency), BigDecimal::add);
        List<Bill.Tax> taxes = new ArrayList<>();
        taxBases.forEach((rate, base) -> taxes.add(new Bill.Tax(rate, base, Money.round(base.multiply(rate), currency))));
        BigDecimal total = taxes.stream().map(Bill.Tax::amount).reduce(subtotal, BigDecimal::add);
        return new Bill(customerId, period, zone, currency.getCurrencyCode(), lines, subtotal, taxes, total, totalKwh, completeness);
    }

    private record Priced(String tariffId, TariffVersion version) {
    }

    private static Optional<Priced> versionOn(List<TariffLink> links, LocalDate date) {
        TariffLink current = null;
        for (TariffLink link : links) {
            if (!link.validFrom().isAfter(date) && (current == null || link.validFrom().isAfter(current.validFrom()))) {
                current = link;
            }
        }
        if (current == null) {
            return Optional.empty();
        }
        String tariffId = current.tariff().id();
        return current.tariff().versionOn(date).map(version -> new Priced(tariffId, version));
    }

    static boolean assigned(List<Assignment> assignments, Usage row) {
        for (Assignment assignment : assignments) {
            if (assignment.meterId().equals(row.meterId()) && !row.bucketStart().isBefore(assignment.from())
                    && (assignment.to() == null || row.bucketStart().isBefore(assignment.to()))) {
                return true;
            }
        }
        return false;
    }

    /** Covered slots over the slots each meter was the customer's within the period, 4 decimals. */
    private static Map<String, BigDecimal> completeness(List<Assignment> assignments, Map<String, Long> covered, Instant start, Instant end) {
        Map<String, Long> slots = new TreeMap<>();
        Set<String> meters = new HashSet<>();
        for (Assignment assignment : assignments) {
            Instant from = assignment.from().isAfter(start) ? assignment.from() : start;
            Instant to = assignment.to() == null || assignment.to().isAfter(end) ? end : assignment.to();
            if (from.isBefore(to)) {
                slots.merge(assignment.meterId(), Duration.between(from, to).getSeconds() / SLOT_SECONDS, Long::sum);
                meters.add(assignment.meterId());
            }
        }
        Map<String, BigDecimal> shares = new TreeMap<>();
        slots.forEach((meter, count) -> shares.put(meter,
                BigDecimal.valueOf(covered.getOrDefault(meter, 0L)).divide(BigDecimal.valueOf(count), 4, RoundingMode.HALF_EVEN)));
        return shares;
    }

    private static Currency currency(List<TariffLink> links) {
        Set<Currency> currencies = new HashSet<>();
        links.forEach(link -> currencies.add(link.tariff().currency()));
        if (currencies.size() > 1) {
            throw new NotBillable("the customer's tariffs in the period are in more than one currency: " + new TreeSet<>(
                    currencies.stream().map(Currency::getCurrencyCode).toList()));
        }
        return currencies.isEmpty() ? Currency.getInstance("EUR") : currencies.iterator().next();
    }

    /** The customer's data does not make one bill (a fact to fix, not a failure): a billing run holds the customer. */
    public static final class NotBillable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotBillable(String reason) {
            super(reason);
        }
    }
}
