package io.wattflow.pipeline.reading;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Epoch milliseconds of an ISO-8601 instant. Meters send whole-second UTC instants such as 2026-11-28T10:15:00Z;
 * those are read digit by digit (Instant.parse spent a fifth of the job's parsing time in DateTimeFormatter's
 * field maps). Anything else (fractions, offsets, leap seconds, invalid dates) goes to {@link Instant#parse}, so the
 * accepted forms and the errors are exactly Instant.parse's.
 *
 * <p>Instant.parse takes years up to +/-1,000,000,000, far beyond epoch milliseconds, so every instant is checked
 * against a calendar range before it is turned into milliseconds: no arithmetic on it can overflow afterwards.
 */
public final class IsoInstants {
    private static final int LENGTH = "2026-11-28T10:15:00Z".length();
    /** The earliest instant a reading or a record may have. */
    public static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    /** Readings and records must lie before this instant. */
    public static final Instant END = Instant.parse("2100-01-01T00:00:00Z");
    private static final long EARLIEST_MILLIS = EARLIEST.toEpochMilli();
    private static final long END_MILLIS = END.toEpochMilli();

    private IsoInstants() {
    }

    /** An instant outside [{@link #EARLIEST}, {@link #END}). */
    static final class OutOfRange extends DateTimeException {
        private static final long serialVersionUID = 1L;

        OutOfRange(String text) {
            super(text + " lies outside " + EARLIEST + " .. " + END);
        }
    }

    /** True when the epoch milliseconds lie in [{@link #EARLIEST}, {@link #END}). */
    public static boolean inRange(long epochMillis) {
        return epochMillis >= EARLIEST_MILLIS && epochMillis < END_MILLIS;
    }

    /**
     * @throws OutOfRange for an instant outside [{@link #EARLIEST}, {@link #END})
     * @throws java.time.format.DateTimeParseException as {@link Instant#parse} does
     */
    static long toEpochMilli(String text) {
        long millis = parse(text);
        if (!inRange(millis)) {
            throw new OutOfRange(text);
        }
        return millis;
    }

    private static long parse(String text) {
        if (text.length() == LENGTH && text.charAt(4) == '-' && text.charAt(7) == '-' && text.charAt(10) == 'T'
                && text.charAt(13) == ':' && text.charAt(16) == ':' && text.charAt(19) == 'Z') {
            int year = digits(text, 0, 4);
            int month = digits(text, 5, 2);
            int day = digits(text, 8, 2);
            int hour = digits(text, 11, 2);
            int minute = digits(text, 14, 2);
            int second = digits(text, 17, 2);
            if (year >= 0 && month >= 0 && day >= 0 && hour >= 0 && hour < 24 && minute >= 0 && minute < 60
                    && second >= 0 && second < 60) {
                try {
                    long epochDay = LocalDate.of(year, month, day).toEpochDay();
                    return ((epochDay * 24 + hour) * 60 + minute) * 60_000L + second * 1000L;
                } catch (DateTimeException invalidDate) {
                    // February 30th and the like: Instant.parse below says what is wrong
                }
            }
        }
        Instant instant = Instant.parse(text);
        if (instant.isBefore(EARLIEST) || !instant.isBefore(END)) {
            throw new OutOfRange(text); // before toEpochMilli, which overflows for far years
        }
        return instant.toEpochMilli();
    }

    /** The decimal number of {@code count} ASCII digits at {@code from}; -1 when any is not a digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
