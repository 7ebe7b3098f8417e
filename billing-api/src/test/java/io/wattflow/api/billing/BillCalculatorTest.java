package io.wattflow.api.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.api.tariff.DayType;
import io.wattflow.api.tariff.Tariff;
import io.wattflow.api.tariff.TariffVersion;
import io.wattflow.api.tariff.TimeOfUseRate;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

class BillCalculatorTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static TariffVersion dayNight(String validFrom, String day, String night) {
        return new TariffVersion(LocalDate.parse(validFrom), new BigDecimal("0.45"), new BigDecimal("0.19"), List.of(
                new TimeOfUseRate("day", DayType.ALL, LocalTime.of(7, 0), LocalTime.of(22, 0), new BigDecimal(day)),
                new TimeOfUseRate("night", DayType.ALL, LocalTime.of(22, 0), LocalTime.of(7, 0), new BigDecimal(night))));
    }

    private static final Tariff STANDARD = new Tariff("standard", "Day/night", Currency.getInstance("EUR"),
            List.of(dayNight("2020-01-01", "0.32", "0.22")));

    private static List<BillCalculator.Usage> everyQuarterHour(String meter, Instant from, Instant to, long mwh) {
        List<BillCalculator.Usage> rows = new ArrayList<>();
        for (Instant bucket = from; bucket.isBefore(to); bucket = bucket.plus(Duration.ofMinutes(15))) {
            rows.add(new BillCalculator.Usage(meter, bucket, mwh));
        }
        return rows;
    }

    private static final List<BillCalculator.Assignment> WHOLE_TIME =
            List.of(new BillCalculator.Assignment("MTR-1", Instant.parse("2020-01-01T00:00:00Z"), null));

    @Test
    void theTwentyFiveHourDayIsPricedByLocalTimeAndTheLinesAddUpToTheTotal() {
        // 1 Wh in each of the 100 quarter hours of 25 October 2026 in Berlin (DST ends: 02:00-03:00 twice)
        List<BillCalculator.Usage> usage = everyQuarterHour("MTR-1", Instant.parse("2026-10-24T22:00:00Z"),
                Instant.parse("2026-10-25T23:00:00Z"), 1_000);

        Bill bill = BillCalculator.price("C-1", BERLIN, YearMonth.of(2026, 10), List.of(new BillCalculator.TariffLink(
                LocalDate.parse("2026-01-01"), STANDARD)), WHOLE_TIME, usage);

        assertThat(bill.lines()).extracting(Bill.Line::period, Bill.Line::quantity, Bill.Line::amount).containsExactly(
                Tuple.tuple("day", new BigDecimal("0.060000"), new BigDecimal("0.02")),   // 07-22: 60 slots
                Tuple.tuple("night", new BigDecimal("0.040000"), new BigDecimal("0.01")), // 22-07 with the extra hour: 40
                Tuple.tuple("standing charge", new BigDecimal("31"), new BigDecimal("13.95")));
        assertThat(bill.subtotal()).isEqualByComparingTo("13.98");
        assertThat(bill.taxes()).singleElement().satisfies(tax -> {
            assertThat(tax.base()).isEqualByComparingTo("13.98");
            assertThat(tax.amount()).isEqualByComparingTo("2.66"); // 2.6562, half-even to cents
        });
        assertThat(bill.total()).isEqualByComparingTo("16.64");
        assertThat(bill.totalKwh()).isEqualByComparingTo("0.100000");
        // 100 of October's 2980 Berlin quarter hours (30 days x 96 + one 100-slot day)
        assertThat(bill.completeness()).containsEntry("MTR-1", new BigDecimal("0.0336"));
    }

    @Test
    void aNewTariffVersionMidMonthGetsItsOwnLines() {
        Tariff tariff = new Tariff("standard", "Day/night", Currency.getInstance("EUR"),
                List.of(dayNight("2020-01-01", "0.30", "0.20"), dayNight("2026-11-15", "0.40", "0.25")));
        // 1 kWh at local noon on the 10th and on the 20th
        List<BillCalculator.Usage> usage = List.of(
                new BillCalculator.Usage("MTR-1", Instant.parse("2026-11-10T11:00:00Z"), 1_000_000),
                new BillCalculator.Usage("MTR-1", Instant.parse("2026-11-20T11:00:00Z"), 1_000_000));

        Bill bill = BillCalculator.price("C-1", BERLIN, YearMonth.of(2026, 11),
                List.of(new BillCalculator.TariffLink(LocalDate.parse("2020-01-01"), tariff)), WHOLE_TIME, usage);

        assertThat(bill.lines()).extracting(Bill.Line::validFrom, Bill.Line::period, Bill.Line::amount).containsExactly(
                Tuple.tuple("2020-01-01", "day", new BigDecimal("0.30")),
                Tuple.tuple("2026-11-15", "day", new BigDecimal("0.40")),
                Tuple.tuple("2020-01-01", "standing charge", new BigDecimal("6.30")),  // 14 days
                Tuple.tuple("2026-11-15", "standing charge", new BigDecimal("7.20"))); // 16 days
    }

    @Test
    void weekendRatesApplyOnLocalWeekendDays() {
        Tariff tariff = new Tariff("weekend", "Cheap weekends", Currency.getInstance("EUR"), List.of(new TariffVersion(
                LocalDate.parse("2020-01-01"), BigDecimal.ZERO, BigDecimal.ZERO, List.of(
                new TimeOfUseRate("weekend", DayType.WEEKEND, LocalTime.MIDNIGHT, LocalTime.MIDNIGHT, new BigDecimal("0.10")),
                new TimeOfUseRate("weekday", DayType.WEEKDAY, LocalTime.MIDNIGHT, LocalTime.MIDNIGHT, new BigDecimal("0.30"))))));
        // Saturday 28 November 2026 00:30 in Berlin is Friday 23:30 in UTC
        List<BillCalculator.Usage> usage = List.of(new BillCalculator.Usage("MTR-1", Instant.parse("2026-11-27T23:30:00Z"), 1_000_000));

        Bill bill = BillCalculator.price("C-1", BERLIN, YearMonth.of(2026, 11),
                List.of(new BillCalculator.TariffLink(LocalDate.parse("2020-01-01"), tariff)), WHOLE_TIME, usage);

        assertThat(bill.lines().get(0).period()).isEqualTo("weekend");
        assertThat(bill.lines().get(0).amount()).isEqualByComparingTo("0.10");
    }

    @Test
    void usageOfAMeterBelongsToWhoeverHeldItAtTheTime() {
        List<BillCalculator.Assignment> untilTheFifteenth = List.of(new BillCalculator.Assignment("MTR-1",
                Instant.parse("2026-10-31T23:00:00Z"), Instant.parse("2026-11-14T23:00:00Z")));
        List<BillCalculator.Usage> usage = everyQuarterHour("MTR-1", Instant.parse("2026-10-31T23:00:00Z"),
                Instant.parse("2026-11-30T23:00:00Z"), 1_000);

        Bill bill = BillCalculator.price("C-1", BERLIN, YearMonth.of(2026, 11),
                List.of(new BillCalculator.TariffLink(LocalDate.parse("2020-01-01"), STANDARD)), untilTheFifteenth, usage);

        assertThat(bill.totalKwh()).isEqualByComparingTo("1.344"); // 14 days x 96 quarter hours x 1 Wh
        assertThat(bill.completeness()).containsEntry("MTR-1", new BigDecimal("1.0000"));
    }

    @Test
    void theLinesOfEveryBillAddUpToItsTotal() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            List<BillCalculator.Usage> usage = new ArrayList<>();
            for (int slot = 0; slot < 50; slot++) {
                usage.add(new BillCalculator.Usage("MTR-1", Instant.parse("2026-11-01T00:00:00Z").plusSeconds(900L * random.nextInt(2_800)),
                        random.nextLong(0, 3_000_000)));
            }
            Bill bill = BillCalculator.price("C-1", BERLIN, YearMonth.of(2026, 11),
                    List.of(new BillCalculator.TariffLink(LocalDate.parse("2020-01-01"), STANDARD)), WHOLE_TIME, usage);

            BigDecimal lines = bill.lines().stream().map(Bill.Line::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
            BigDecimal taxes = bill.taxes().stream().map(Bill.Tax::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
            assertThat(lines).isEqualByComparingTo(bill.subtotal());
            assertThat(lines.add(taxes)).isEqualByComparingTo(bill.total());
            bill.lines().forEach(line -> assertThat(line.amount().scale()).isEqualTo(2));
        }
    }
    @Test
    void aMonthIsCutIntoRunsOfOneLocalDateAndOneRateWindow() {
        List<Instant> runs = BillCalculator.rateRuns(BERLIN, YearMonth.of(2026, 11),
                List.of(new BillCalculator.TariffLink(LocalDate.parse("2020-01-01"), STANDARD)));

        assertThat(runs).hasSize(30 * 3); // 00:00-07:00, 07:00-22:00, 22:00-24:00 of each day
        assertThat(runs.subList(0, 4)).containsExactly(Instant.parse("2026-10-31T23:00:00Z"), Instant.parse("2026-11-01T06:00:00Z"),
                Instant.parse("2026-11-01T21:00:00Z"), Instant.parse("2026-11-01T23:00:00Z"));
    }

    @Test
    void theSpansAMeterWasHeldAreClippedToThePeriodAndMergedWhereTheyTouch() {
        Instant from = Instant.parse("2026-10-31T23:00:00Z");
        Instant to = Instant.parse("2026-11-30T23:00:00Z");
        List<BillCalculator.Assignment> spans = List.of(
                new BillCalculator.Assignment("MTR-2", Instant.parse("2026-11-15T00:00:00Z"), null),
                new BillCalculator.Assignment("MTR-1", Instant.parse("2026-11-10T00:00:00Z"), Instant.parse("2026-11-12T00:00:00Z")),
                new BillCalculator.Assignment("MTR-1", Instant.parse("2026-10-01T00:00:00Z"), Instant.parse("2026-11-10T00:00:00Z")),
                new BillCalculator.Assignment("MTR-1", Instant.parse("2026-11-20T00:00:00Z"), Instant.parse("2026-11-21T00:00:00Z")),
                new BillCalculator.Assignment("MTR-3", Instant.parse("2026-09-01T00:00:00Z"), Instant.parse("2026-10-31T23:00:00Z")));

        assertThat(BillCalculator.heldWithin(spans, from, to)).containsExactly(
                new BillCalculator.Assignment("MTR-1", from, Instant.parse("2026-11-12T00:00:00Z")),
                new BillCalculator.Assignment("MTR-1", Instant.parse("2026-11-20T00:00:00Z"), Instant.parse("2026-11-21T00:00:00Z")),
                new BillCalculator.Assignment("MTR-2", Instant.parse("2026-11-15T00:00:00Z"), to));
    }

    /**
     * Pricing sums per rate run gives the very bill of pricing bucket by bucket: random tariffs whose boundaries fall
     * into the repeated and the missing hour of the DST days, weekend rates, a new version mid-month, a meter held
     * twice with a gap, and buckets outside the period and outside the spans.
     */
    @Test
    void billsFromRunSumsEqualBillsFromBuckets() {
        SplittableRandom random = new SplittableRandom(11);
        List<LocalTime> times = List.of(LocalTime.of(0, 0), LocalTime.of(2, 15), LocalTime.of(2, 30), LocalTime.of(6, 45),
                LocalTime.of(7, 0), LocalTime.of(12, 0), LocalTime.of(18, 30), LocalTime.of(22, 0));
        for (YearMonth month : List.of(YearMonth.of(2026, 3), YearMonth.of(2026, 10), YearMonth.of(2026, 11))) {
            for (int i = 0; i < 40; i++) {
                LocalTime peakFrom = times.get(random.nextInt(times.size()));
                LocalTime peakTo = times.get(random.nextInt(times.size()));
                TariffVersion first = new TariffVersion(LocalDate.parse("2020-01-01"), new BigDecimal("0.40"), new BigDecimal("0.19"), List.of(
                        new TimeOfUseRate("weekend", DayType.WEEKEND, LocalTime.MIDNIGHT, LocalTime.MIDNIGHT, new BigDecimal("0.2011")),
                        new TimeOfUseRate("peak", DayType.WEEKDAY, peakFrom, peakTo, new BigDecimal("0.3917")),
                        new TimeOfUseRate("off-peak", DayType.ALL, LocalTime.MIDNIGHT, LocalTime.MIDNIGHT, new BigDecimal("0.2503"))));
                TariffVersion second = dayNight(month.atDay(1 + random.nextInt(27)).toString(), "0.3333", "0.1777");
                Tariff tariff = new Tariff("t", "Random", Currency.getInstance("EUR"), List.of(first, second));
                List<BillCalculator.TariffLink> links = List.of(new BillCalculator.TariffLink(LocalDate.parse("2020-01-01"), tariff));
                Instant monthStart = month.atDay(1).atStartOfDay(BERLIN).toInstant();
                List<BillCalculator.Assignment> spans = List.of(
                        new BillCalculator.Assignment("MTR-1", monthStart.plusSeconds(900L * random.nextInt(500)),
                                monthStart.plusSeconds(900L * (600 + random.nextInt(500)))),
                        new BillCalculator.Assignment("MTR-1", monthStart.plusSeconds(900L * (1_200 + random.nextInt(500))), null),
                        new BillCalculator.Assignment("MTR-2", monthStart.minus(Duration.ofDays(3)), null));
                List<BillCalculator.Usage> usage = new ArrayList<>();
                for (int slot = -200; slot < 3_100; slot++) {
                    for (String meter : List.of("MTR-1", "MTR-2", "MTR-3")) {
                        if (random.nextInt(10) > 0) { // some buckets have no row
                            usage.add(new BillCalculator.Usage(meter, monthStart.plusSeconds(900L * slot), random.nextLong(0, 400_000)));
                        }
                    }
                }

                Bill byBucket = BillCalculator.price("C-1", BERLIN, month, links, spans, usage);
                Bill byRun = BillCalculator.priceSums("C-1", BERLIN, month, links, spans,
                        sumByRun(usage, BillCalculator.rateRuns(BERLIN, month, links), month.plusMonths(1).atDay(1).atStartOfDay(BERLIN)
                                .toInstant(), spans));

                assertThat(byRun).isEqualTo(byBucket);
            }
        }
    }

    /** What the API's query does in PostgreSQL: each bucket of the period held by the customer added to its run. */
    private static List<BillCalculator.UsageSum> sumByRun(List<BillCalculator.Usage> usage, List<Instant> runStarts, Instant end,
                                                          List<BillCalculator.Assignment> spans) {
        java.util.TreeSet<Instant> runs = new java.util.TreeSet<>(runStarts);
        java.util.Map<String, java.util.Map<Instant, long[]>> sums = new java.util.TreeMap<>();
        for (BillCalculator.Usage row : usage) {
            Instant run = runs.floor(row.bucketStart());
            if (run == null || !row.bucketStart().isBefore(end) || !BillCalculator.assigned(spans, row)) {
                continue;
            }
            long[] sum = sums.computeIfAbsent(row.meterId(), meter -> new java.util.TreeMap<>()).computeIfAbsent(run, r -> new long[2]);
            sum[0] += row.milliWattHours();
            sum[1]++;
        }
        List<BillCalculator.UsageSum> result = new ArrayList<>();
        sums.forEach((meter, byRun) -> byRun.forEach((run, sum) -> result.add(new BillCalculator.UsageSum(meter, run, sum[0], sum[1]))));
        return result;
    }
}
