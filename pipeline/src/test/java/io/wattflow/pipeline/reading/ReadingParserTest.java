package io.wattflow.pipeline.reading;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReadingParserTest {
    static final ReadingParser.ReadingRules RULES =
            new ReadingParser.ReadingRules(Duration.ofDays(7), Duration.ofMinutes(5), Duration.ofDays(1), 10_000);
    private static final long RECORD_TIME = Instant.parse("2026-11-28T10:20:00Z").toEpochMilli();
    private final ReadingParser parser = new ReadingParser(RULES);

    static RawReading raw(String json, long recordTimestamp) {
        return new RawReading("readings", 1, 42, recordTimestamp, "MTR-0001".getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8));
    }

    private ReadingParser.Result parse(String json) {
        return parser.parse(raw(json, RECORD_TIME));
    }

    @Test
    void anIntervalReadingIsParsedToExactMilliWattHours() {
        ReadingParser.Result result = parse("{\"readingId\":\"r-1\",\"meterId\":\"MTR-0001\",\"kind\":\"interval\","
                + "\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1.234}");
        assertThat(result.rejection()).isNull();
        assertThat(result.reading()).isEqualTo(new MeterReading("r-1", "MTR-0001", "import",
                Instant.parse("2026-11-28T10:00:00Z").toEpochMilli(), Instant.parse("2026-11-28T10:15:00Z").toEpochMilli(),
                1_234_000, RECORD_TIME));
        assertThat(result.reading().source.offset).isEqualTo(42);
    }

    @ParameterizedTest(name = "kwh {0} is {1} mWh")
    @CsvSource({"0.1, 100000", "0.000001, 1", "2.5E+0, 2500000", "0, 0", "12.345678, 12345678", "1e2, 100000000"})
    void decimalsAreNeverRoundedThroughBinaryFloatingPoint(String kwh, long milliWattHours) {
        ReadingParser.Result result = parse("{\"readingId\":\"r-1\",\"meterId\":\"M1\",\"channel\":\"export\",\"kind\":\"interval\","
                + "\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":" + kwh + "}");
        assertThat(result.rejection()).as("rejection").isNull();
        assertThat(result.reading().energyMilliWattHours).isEqualTo(milliWattHours);
        assertThat(result.reading().channel).isEqualTo("export");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not json|malformed_json",
            "[1,2]|malformed_json",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\"}|missing_field",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":\"1.0\"}|mistyped_field",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"yesterday\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|mistyped_field",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"pulse\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|unknown_kind",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"register\",\"ts\":\"2026-11-28T10:15:00Z\"}|missing_field",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"register\",\"ts\":\"2026-11-28T10:15:00Z\",\"registerKwh\":-1}|negative_energy",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"register\",\"ts\":\"2026-11-28T11:15:00Z\",\"registerKwh\":1}|future_timestamp",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"register\",\"ts\":\"2026-11-01T11:15:00Z\",\"registerKwh\":1}|too_late",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"channel\":\"reactive\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|unknown_channel",
            "{\"readingId\":\"r\",\"meterId\":\"M 1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|invalid_meter_id",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":-0.5}|negative_energy",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":0.0000001}|too_precise",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":2501}|implausible_energy",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:15:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|non_positive_interval",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-26T10:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|interval_too_long",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00.5Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|misaligned_interval",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:15:00Z\",\"end\":\"2026-11-28T10:30:00Z\",\"kwh\":1}|future_timestamp",
            "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"2026-11-20T10:00:00Z\",\"end\":\"2026-11-20T10:15:00Z\",\"kwh\":1}|too_late",
    })
    void invalidRecordsAreRejectedWithAStableReason(String json, String reason) {
        ReadingParser.Result result = parse(json);
        assertThat(result.reading()).isNull();
        assertThat(result.rejection().reason.code()).isEqualTo(reason);
        assertThat(result.rejection().detail).isNotBlank();
        assertThat(new String(result.rejection().source.value, StandardCharsets.UTF_8)).isEqualTo(json);
    }

    @Test
    void aRegisterReadingCarriesItsValueInMilliWattHours() {
        ReadingParser.Result result = parse("{\"readingId\":\"r-2\",\"meterId\":\"MTR-0001\",\"channel\":\"import\",\"kind\":\"register\","
                + "\"ts\":\"2026-11-28T10:15:00Z\",\"registerKwh\":10234.567}");
        assertThat(result.rejection()).isNull();
        assertThat(result.reading()).isEqualTo(MeterReading.register("r-2", "MTR-0001", "import",
                Instant.parse("2026-11-28T10:15:00Z").toEpochMilli(), 10_234_567_000L, RECORD_TIME));
    }

    @Test
    void trailingGarbageAfterTheObjectIsMalformed() {
        assertThat(parse("{\"readingId\":\"r\"} trailing").rejection().reason.code()).isEqualTo("malformed_json");
    }

    private static final String REGISTER = "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"register\",\"ts\":\"2026-11-28T10:15:00Z\",\"registerKwh\":";
    private static final String INTERVAL = "{\"readingId\":\"r\",\"meterId\":\"M1\",\"kind\":\"interval\",";

    /** Each of these threw out of the parser (or would allocate in proportion to a number) before it was bounded. */
    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource(delimiter = '|', value = {
            REGISTER + "1e9999999999}|number_out_of_range",
            REGISTER + "1.5e-2147483648}|number_out_of_range",
            REGISTER + "1e2147483647}|number_out_of_range",
            REGISTER + "1e-2147483647}|too_precise",
            REGISTER + "123456789012345678901234567890}|number_out_of_range",
            REGISTER + "1000000000000}|number_out_of_range",
            REGISTER + "999999999999.9999999}|too_precise",
            REGISTER + "0e-2147483647}|accepted",
            REGISTER + "999999999999.999999}|accepted",
            REGISTER + "1.50000000000000000000000000000}|accepted",
            REGISTER + "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111}|malformed_json",
            INTERVAL + "\"start\":\"+1000000000-01-01T00:00:00Z\",\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1}|time_out_of_range",
            INTERVAL + "\"start\":\"2026-11-28T10:00:00Z\",\"end\":\"-999999999-01-01T00:00:00Z\",\"kwh\":1}|time_out_of_range",
            INTERVAL + "\"start\":\"1969-12-31T23:45:00Z\",\"end\":\"1970-01-01T00:00:00Z\",\"kwh\":1}|time_out_of_range",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]|malformed_json",
    })
    void hostileNumbersAndInstantsAreBoundedBeforeAnyArithmetic(String json, String outcome) {
        ReadingParser.Result result = parse(json);
        assertThat(result.rejection() == null ? "accepted" : result.rejection().reason.code()).as(String.valueOf(result.rejection())).isEqualTo(outcome);
    }

    @ParameterizedTest
    @CsvSource({"-9223372036854775808", "-1", "4102444800000", "9223372036854775807"})
    void aRecordTimestampOutsideTheCalendarRangeIsRejected(long recordTimestamp) {
        ReadingParser.Result result = parser.parse(raw(REGISTER + "1}", recordTimestamp));
        assertThat(result.rejection().reason.code()).isEqualTo("record_timestamp_out_of_range");
    }

    @Test
    void aFailureOfOurOwnCodeIsAnUnprocessableRejectionNamingTheException() {
        // Rules without a future skew: a defect of ours that fails on every reading that gets that far
        ReadingParser broken = new ReadingParser(new ReadingParser.ReadingRules(null, null, null, 1));
        ReadingParser.Result result = broken.parse(raw(REGISTER + "1}", RECORD_TIME));
        assertThat(result.rejection().reason.code()).isEqualTo("unprocessable");
        assertThat(result.rejection().detail).startsWith("java.lang.NullPointerException");
    }
}
