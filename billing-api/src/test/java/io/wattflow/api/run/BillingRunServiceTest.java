package io.wattflow.api.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import org.junit.jupiter.api.Test;

class BillingRunServiceTest {

    @Test
    void aPeriodEndsWhenItHasEndedInTheLastOfTheCustomersTimeZones() {
        YearMonth october = YearMonth.parse("2026-10");

        assertThat(BillingRunService.endInEveryZone(october, List.of())).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(BillingRunService.endInEveryZone(october, List.of("Europe/Berlin", "Pacific/Kiritimati")))
                .isEqualTo(Instant.parse("2026-11-01T00:00:00Z")); // east of UTC: ended before UTC's end
        assertThat(BillingRunService.endInEveryZone(october, List.of("Europe/Berlin", "America/Los_Angeles", "Etc/GMT+12")))
                .isEqualTo(Instant.parse("2026-11-01T12:00:00Z"));
        assertThat(BillingRunService.endInEveryZone(october, List.of("America/Los_Angeles")))
                .isEqualTo(Instant.parse("2026-11-01T07:00:00Z")); // still on summer time on 1 November 2026
    }
}
