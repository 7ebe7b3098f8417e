package io.wattflow.pipeline.reading;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.Serializable;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Turns one record of the readings topic into a valid {@link MeterReading} or a {@link Rejection} with a
 * stable reason. Energy is parsed as an exact decimal (never a binary double) and must have at most 6 decimal
 * places of kWh, so it converts to integer milli-Wh without rounding.
 *
 * <p>Total over its input: whatever the bytes, {@link #parse} returns a result and never throws. Every input is
 * bounded before it is used (the JSON's nesting, number and string lengths by the JSON parser; numbers by digits and
 * exponent before any arithmetic; instants by a calendar range before they become epoch milliseconds), so no record
 * costs more than its size, and anything our code still fails on becomes an {@code unprocessable} rejection.
 */
public final class ReadingParser implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern METER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    private static final int MAX_READING_ID_LENGTH = 128;
    /** kWh values have at most this many digits before the decimal point: below 10^12 kWh, so milli-Wh fit a long. */
    private static final int MAX_INTEGER_DIGITS = 12;
    /** Bounds of the JSON document itself, checked by Jackson while it reads. */
    static final StreamReadConstraints JSON_LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(32)
            .maxNumberLength(64)
            .maxStringLength(64 * 1024)
            .maxNameLength(1024)
            .build();

    private final ReadingRules rules;
    private transient ObjectReader treeReader;

    public ReadingParser(ReadingRules rules) {
        this.rules = rules;
    }

    /** The outcome of parsing: exactly one of {@code reading} and {@code rejection} is set. */
    public record Result(MeterReading reading, Rejection rejection) {
        static Result accepted(MeterReading reading) {
            return new Result(reading, null);
        }

        static Result rejected(RawReading source, RejectionReason reason, String detail) {
            return new Result(null, new Rejection(source, reason, detail));
        }
    }

    /** Never throws: a failure of our own code is an {@code unprocessable} rejection naming the exception's class. */
    public Result parse(RawReading raw) {
        try {
            return parseBounded(raw);
        } catch (RuntimeException | StackOverflowError e) {
            return Result.rejected(raw, RejectionReason.UNPROCESSABLE, Rejection.describe(e));
        }
    }

    private Result parseBounded(RawReading raw) {
        if (!IsoInstants.inRange(raw.recordTimestamp)) {
            return Result.rejected(raw, RejectionReason.RECORD_TIMESTAMP_OUT_OF_RANGE, "the Kafka record timestamp "
                    + raw.recordTimestamp + " lies outside " + IsoInstants.EARLIEST + " .. " + IsoInstants.END);
        }
        JsonNode json;
        try {
            json = treeReader().readTree(raw.value == null ? new byte[0] : raw.value);
        } catch (JsonProcessingException e) {
            return Result.rejected(raw, RejectionReason.MALFORMED_JSON, e.getOriginalMessage());
        } catch (IOException e) {
            return Result.rejected(raw, RejectionReason.MALFORMED_JSON, e.getMessage());
        } catch (NumberFormatException e) {
            // Jackson reads a float as BigDecimal, which refuses an exponent beyond an int ("1e9999999999")
            return Result.rejected(raw, RejectionReason.NUMBER_OUT_OF_RANGE, "a number's exponent is out of range");
        }
        if (json == null || !json.isObject()) {
            return Result.rejected(raw, RejectionReason.MALFORMED_JSON, "a reading must be one JSON object");
        }
        try {
            return Result.accepted(reading(json, raw));
        } catch (Invalid invalid) {
            return Result.rejected(raw, invalid.reason, invalid.getMessage());
        }
    }

    private MeterReading reading(JsonNode json, RawReading raw) throws Invalid {
        String readingId = text(json, "readingId");
        if (readingId.isEmpty() || readingId.length() > MAX_READING_ID_LENGTH) {
            throw new Invalid(RejectionReason.MISTYPED_FIELD, "readingId must have 1 to " + MAX_READING_ID_LENGTH + " characters");
        }
        String meterId = text(json, "meterId");
        if (!METER_ID.matcher(meterId).matches()) {
            throw new Invalid(RejectionReason.INVALID_METER_ID, "meterId must be 1-64 letters, digits or . _ : -");
        }
        String channel = json.has("channel") ? text(json, "channel") : "import";
        if (!channel.equals("import") && !channel.equals("export")) {
            throw new Invalid(RejectionReason.UNKNOWN_CHANNEL, "channel must be import or export, got " + channel);
        }
        String kind = text(json, "kind");
        if (kind.equals("register")) {
            return register(json, raw, readingId, meterId, channel);
        }
        if (!kind.equals("interval")) {
            throw new Invalid(RejectionReason.UNKNOWN_KIND, "kind must be interval or register, got " + kind);
        }
        long start = instant(json, "start");
        long end = instant(json, "end");
        if (end <= start) {
            throw new Invalid(RejectionReason.NON_POSITIVE_INTERVAL, "end must be after start");
        }
        if (end - start > rules.maxInterval().toMillis()) {
            throw new Invalid(RejectionReason.INTERVAL_TOO_LONG, "an interval may span at most " + rules.maxInterval());
        }
        if (start % 1000 != 0 || end % 1000 != 0) {
            throw new Invalid(RejectionReason.MISALIGNED_INTERVAL, "start and end must be whole seconds");
        }
        long energy = milliWattHours(json, "kwh");
        if (energy > rules.maxEnergy(end - start)) {
            throw new Invalid(RejectionReason.IMPLAUSIBLE_ENERGY,
                    "energy means more than " + rules.maxAverageKilowatts() + " kW on average over the interval");
        }
        checkClock(end, raw, "end");
        MeterReading reading = new MeterReading(readingId, meterId, channel, start, end, energy, raw.recordTimestamp);
        reading.source = raw;
        return reading;
    }

    private MeterReading register(JsonNode json, RawReading raw, String readingId, String meterId, String channel) throws Invalid {
        long timestamp = instant(json, "ts");
        if (timestamp % 1000 != 0) {
            throw new Invalid(RejectionReason.MISALIGNED_INTERVAL, "ts must be a whole second");
        }
        long value = milliWattHours(json, "registerKwh");
        checkClock(timestamp, raw, "ts");
        MeterReading reading = MeterReading.register(readingId, meterId, channel, timestamp, value, raw.recordTimestamp);
        reading.source = raw;
        return reading;
    }

    /** Both times lie in the calendar range, so neither sum below overflows. */
    private void checkClock(long time, RawReading raw, String field) throws Invalid {
        if (time > raw.recordTimestamp + rules.maxFutureSkew().toMillis()) {
            throw new Invalid(RejectionReason.FUTURE_TIMESTAMP,
                    field + " lies more than " + rules.maxFutureSkew() + " after the record's Kafka timestamp");
        }
        if (time < raw.recordTimestamp - rules.latenessHorizon().toMillis()) {
            throw new Invalid(RejectionReason.TOO_LATE,
                    field + " lies more than the lateness horizon " + rules.latenessHorizon() + " before the record's Kafka timestamp");
        }
    }

    /** A non-negative kWh number with at most 6 decimal places, as integer milli-Wh. */
    private static long milliWattHours(JsonNode json, String field) throws Invalid {
        JsonNode kwh = json.get(field);
        if (kwh == null || kwh.isNull()) {
            throw new Invalid(RejectionReason.MISSING_FIELD, field + " is missing");
        }
        if (!kwh.isNumber()) {
            throw new Invalid(RejectionReason.MISTYPED_FIELD, field + " must be a JSON number");
        }
        BigDecimal value = kwh.decimalValue();
        if (value.signum() < 0) {
            throw new Invalid(RejectionReason.NEGATIVE_ENERGY, field + " must not be negative");
        }
        if (value.signum() == 0) {
            return 0;
        }
        // Bounded by its digits and exponent before any arithmetic: 1e2147483647 and 1e-2147483647 are legal JSON,
        // and scaling them would overflow the scale or allocate in proportion to the exponent.
        long integerDigits = (long) value.precision() - value.scale();
        if (integerDigits > MAX_INTEGER_DIGITS) {
            throw new Invalid(RejectionReason.NUMBER_OUT_OF_RANGE, field + " must be below 10^" + MAX_INTEGER_DIGITS + " kWh");
        }
        if (value.scale() > 6 && value.stripTrailingZeros().scale() > 6) {
            throw new Invalid(RejectionReason.TOO_PRECISE, field + " may have at most 6 decimal places");
        }
        return value.movePointRight(6).longValueExact(); // at most 19 digits and no fraction: exact
    }

    private static String text(JsonNode json, String field) throws Invalid {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            throw new Invalid(RejectionReason.MISSING_FIELD, field + " is missing");
        }
        if (!node.isTextual()) {
            throw new Invalid(RejectionReason.MISTYPED_FIELD, field + " must be a JSON string");
        }
        return node.textValue();
    }

    private static long instant(JsonNode json, String field) throws Invalid {
        String text = text(json, field);
        try {
            return IsoInstants.toEpochMilli(text);
        } catch (IsoInstants.OutOfRange e) {
            throw new Invalid(RejectionReason.TIME_OUT_OF_RANGE, field + " must lie between " + IsoInstants.EARLIEST
                    + " and " + IsoInstants.END);
        } catch (DateTimeParseException e) {
            throw new Invalid(RejectionReason.MISTYPED_FIELD, field + " must be an ISO-8601 instant such as 2026-11-28T10:00:00Z");
        }
    }

    /** A reader bound to JsonNode once: ObjectMapper.readTree resolves the target type again on every call. */
    private ObjectReader treeReader() {
        if (treeReader == null) {
            treeReader = new ObjectMapper(JsonFactory.builder().streamReadConstraints(JSON_LIMITS).build()).enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readerFor(JsonNode.class);
        }
        return treeReader;
    }

    /** The limits a reading is checked against. */
    public record ReadingRules(Duration latenessHorizon, Duration maxFutureSkew, Duration maxInterval, long maxAverageKilowatts)
            implements Serializable {

        /** The most energy an interval of this length can plausibly hold, saturating instead of overflowing. */
        public long maxEnergy(long spanMillis) {
            return Plausibility.maxEnergy(maxAverageKilowatts, spanMillis);
        }
    }

    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;
        final RejectionReason reason;

        Invalid(RejectionReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
