package io.wattflow.loadgen.importing;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.regex.Pattern;

/** The reading JSON of the readings topic (README, "Producing your own readings"), and the checks it needs. */
final class ReadingJson {
    /** The job's rule for meter ids. */
    static final Pattern METER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    static final int MAX_READING_ID_CHARS = 128;

    private ReadingJson() {
    }

    static String interval(String readingId, String meterId, String channel, Instant start, Instant end, BigDecimal kwh, String quality,
                           String qualityFlag) {
        return "{\"readingId\":" + string(readingId) + ",\"meterId\":" + string(meterId) + ",\"channel\":" + string(channel)
                + ",\"kind\":\"interval\",\"start\":\"" + start + "\",\"end\":\"" + end + "\",\"kwh\":" + kwh.toPlainString()
                + qualityFields(quality, qualityFlag) + "}";
    }

    static String register(String readingId, String meterId, String channel, Instant timestamp, BigDecimal registerKwh) {
        return "{\"readingId\":" + string(readingId) + ",\"meterId\":" + string(meterId) + ",\"channel\":" + string(channel)
                + ",\"kind\":\"register\",\"ts\":\"" + timestamp + "\",\"registerKwh\":" + registerKwh.toPlainString() + "}";
    }

    /** Carried for what comes after the file (the job bills every value it accepts; see docs/data-quality.md). */
    private static String qualityFields(String quality, String qualityFlag) {
        if (quality == null) {
            return "";
        }
        return ",\"quality\":" + string(quality) + (qualityFlag == null ? "" : ",\"qualityFlag\":" + string(qualityFlag));
    }

    /** A JSON string: quotes, backslashes and control characters escaped (RFC 8259). */
    static String string(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * Energy in kWh as the job takes it: not negative, at most 6 decimals (1 milli-Wh), at most 12 integer digits.
     * Throws with the reason otherwise.
     */
    static BigDecimal kilowattHours(BigDecimal kwh, String what) {
        if (kwh.signum() < 0) {
            throw new IllegalArgumentException(what + " is negative");
        }
        BigDecimal plain = kwh.stripTrailingZeros();
        if (plain.scale() > 6) {
            throw new IllegalArgumentException(what + " has more than 6 decimals in kWh (finer than 1 milli-Wh)");
        }
        if (plain.precision() - plain.scale() > 12) {
            throw new IllegalArgumentException(what + " must be below 10^12 kWh");
        }
        return plain.scale() < 0 ? plain.setScale(0) : plain;
    }

    /** A decimal of at most 40 characters: longer text is refused before it is parsed. */
    static BigDecimal decimal(String text, String what) {
        if (text.length() > 40 || !text.matches("-?\\d*(\\.\\d*)?") || text.equals("-") || text.equals(".") || text.isEmpty()) {
            throw new IllegalArgumentException(what + " '" + abbreviate(text) + "' is not a decimal number");
        }
        return new BigDecimal(text);
    }

    static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
