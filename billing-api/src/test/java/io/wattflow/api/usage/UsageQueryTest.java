package io.wattflow.api.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class UsageQueryTest {

    @Test
    void requestsThatMeanTheSameShareOneCacheKey() {
        UsageQuery plain = UsageQuery.parse(null, null, null, "2026-11-01", "2026-11-02");
        UsageQuery spelledOut = UsageQuery.parse("import", "day", "UTC", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00+00:00");

        assertThat(spelledOut.cacheKey()).isEqualTo(plain.cacheKey());
        assertThat(UsageQuery.parse("export", null, null, "2026-11-01", "2026-11-02").cacheKey()).isNotEqualTo(plain.cacheKey());
    }

    @Test
    void fixedOffsetsMeanInPostgreSqlWhatTheyMeanInJava() {
        // PostgreSQL reads '+05:00' as POSIX (west of Greenwich): it must get the opposite sign
        assertThat(UsageRepository.postgresZone(ZoneId.of("+05:00"))).isEqualTo("UTC-05:00:00");
        assertThat(UsageRepository.postgresZone(ZoneId.of("UTC+05:30"))).isEqualTo("UTC-05:30:00");
        assertThat(UsageRepository.postgresZone(ZoneId.of("-03:30"))).isEqualTo("UTC+03:30:00");
        assertThat(UsageRepository.postgresZone(ZoneId.of("Z"))).isEqualTo("UTC");
        assertThat(UsageRepository.postgresZone(ZoneId.of("Europe/Berlin"))).isEqualTo("Europe/Berlin");
        assertThat(UsageRepository.postgresZone(ZoneId.of("Etc/GMT+5"))).isEqualTo("UTC+05:00:00"); // fixed -05:00, POSIX-style
    }
}
