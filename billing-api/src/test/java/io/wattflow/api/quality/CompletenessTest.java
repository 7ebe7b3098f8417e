package io.wattflow.api.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.ZoneId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CompletenessTest {

    @ParameterizedTest
    @CsvSource({
            "2026-10-26, Europe/Berlin, 96",
            "2026-10-25, Europe/Berlin, 100", // clocks go back: 25 hours
            "2026-03-29, Europe/Berlin, 92", // clocks go forward: 23 hours
            "2026-11-01, America/New_York, 100",
            "2026-04-05, Australia/Lord_Howe, 98", // a half-hour DST shift: 24.5 hours
            "2026-10-04, Australia/Lord_Howe, 94",
            "2026-10-26, Asia/Kathmandu, 96", // +05:45
            "1971-06-01, Africa/Monrovia, 96", // -00:44:30: midnight is not on a quarter hour, the day still holds 96 starts
            "1972-01-07, Africa/Monrovia, 93", // to +00:00 at midnight: the day starts at 00:44:30Z, 93 quarter hours start in it
    })
    void aLocalDayExpectsTheQuarterHoursThatStartWithinIt(LocalDate date, String zone, int expected) {
        assertThat(Completeness.expectedIntervals(date, ZoneId.of(zone))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"96, 96, 100.00", "0, 96, 0.00", "1, 3, 33.33", "2, 3, 66.67", "0, 0, 100.00", "1, 8, 12.50"})
    void percentagesHaveTwoDecimalsRoundedHalfEven(long actual, long expected, String percent) {
        assertThat(Completeness.percent(actual, expected)).isEqualByComparingTo(percent).hasScaleOf(2);
    }
}
