package io.wattflow.pipeline.reading;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 */
public final class ReadingParser implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern METER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    private static final int MAX_READING_ID_LENGTH = 128;

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

    public Result parse(RawReading raw) {
        JsonNode json;
        try {
            json = treeReader().readTree(raw.value == null ? new byte[0] : raw.value);
        } catch (JsonProcessingException e) {
            return Result.rejected(raw, RejectionReason.MALFORMED_JSON, e.getOriginalMessage());
        } catch (IOException e) {
            return Result.rejected(raw, RejectionReason.MALFORMED_JSON, e.getMessage());
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
        // 1 kW for 1 ms is 1e6 mWh / 3.6e6 ms = 1/3.6 mWh
        long maxEnergy = Math.multiplyExact(rules.maxAverageKilowatts(), end - start) * 10 / 36;
        if (energy > maxEnergy) {
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
        BigDecimal milli = value.movePointRight(6).stripTrailingZeros();
        if (milli.scale() > 0) {
            throw new Invalid(RejectionReason.TOO_PRECISE, field + " may have at most 6 decimal places");
        }
        try {
            return milli.longValueExact();
        } catch (ArithmeticException e) {
            throw new Invalid(RejectionReason.IMPLAUSIBLE_ENERGY, field + " is out of range");
        }
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
        } catch (DateTimeParseException e) {
            throw new Invalid(RejectionReason.MISTYPED_FIELD, field + " must be an ISO-8601 instant such as 2026-11-28T10:00:00Z");
        }
    }

    /** A reader bound to JsonNode once: ObjectMapper.readTree resolves the target type again on every call. */
    private ObjectReader treeReader() {
        if (treeReader == null) {
            treeReader = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readerFor(JsonNode.class);
        }
        return treeReader;
    }

    /** The limits a reading is checked against. */
    public record ReadingRules(Duration latenessHorizon, Duration maxFutureSkew, Duration maxInterval, long maxAverageKilowatts)
            implements Serializable {
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
