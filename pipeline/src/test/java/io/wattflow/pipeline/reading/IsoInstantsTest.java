package io.wattflow.pipeline.reading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsoInstantsTest {
    @Test
    void wholeSecondUtcInstantsAgreeWithInstantParse() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            String text = Instant.ofEpochSecond(random.nextLong(0, IsoInstants.END.getEpochSecond())).toString();
            assertThat(IsoInstants.toEpochMilli(text)).as(text).isEqualTo(Instant.parse(text).toEpochMilli());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-28T10:15:00.250Z", "2026-11-28T11:15:00+01:00", "2024-02-29T00:00:00Z", "1970-01-01T00:00:00Z",
            "2016-12-31T23:59:60Z"})
    void otherFormsAreReadAsInstantParseReadsThem(String text) {
        assertThat(IsoInstants.toEpochMilli(text)).isEqualTo(Instant.parse(text).toEpochMilli());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-02-30T10:15:00Z", "2026-13-01T00:00:00Z", "2026-11-28T25:00:00Z", "2026-11-28T10:61:00Z",
            "2026-11-28 10:15:00Z", "2026-11-28T10:15:00", "20x6-11-28T10:15:00Z", "", "yesterday"})
    void whatInstantParseRefusesIsRefused(String text) {
        assertThatThrownBy(() -> Instant.parse(text)).isInstanceOf(DateTimeParseException.class);
        assertThatThrownBy(() -> IsoInstants.toEpochMilli(text)).isInstanceOf(DateTimeParseException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"+1000000000-01-01T00:00:00Z", "-1000000000-01-01T00:00:00Z", "+292278994-08-17T07:12:55.808Z",
            "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"})
    void instantsOutsideTheCalendarRangeAreRefusedBeforeTheyOverflow(String text) {
        assertThatThrownBy(() -> IsoInstants.toEpochMilli(text)).isInstanceOf(IsoInstants.OutOfRange.class);
    }
}
