package io.wattflow.api.problem;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZonedDateTime;

/**
 * The calendar the API accepts, checked at the edge: 1970-01-01 up to 2100-01-01 (UTC), the range the metering job
 * accepts readings for. Java parses years up to +999,999,999 and PostgreSQL stores up to 294276 AD, so a date outside
 * it would otherwise reach the database as an error of the request's data, or cost a query over centuries.
 */
public final class SupportedTimes {
    public static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    public static final Instant END = Instant.parse("2100-01-01T00:00:00Z");

    private SupportedTimes() {
    }

    /** The instant itself, when it lies within [{@link #EARLIEST}, {@link #END}] (the end allowed as an exclusive bound). */
    public static Instant check(String name, Instant instant) {
        if (instant.isBefore(EARLIEST) || instant.isAfter(END)) {
            throw ApiProblem.invalidParameter(name + " must lie between 1970-01-01 and 2100-01-01; got " + instant);
        }
        return instant;
    }

    public static ZonedDateTime check(String name, ZonedDateTime time) {
        check(name, time.toInstant());
        return time;
    }

    public static LocalDate check(String name, LocalDate date) {
        if (date.getYear() < 1970 || date.getYear() > 2099) {
            throw ApiProblem.invalidParameter(name + " must be a date from 1970-01-01 to 2099-12-31; got " + date);
        }
        return date;
    }

    public static YearMonth check(String name, YearMonth month) {
        if (month.getYear() < 1970 || month.getYear() > 2099) {
            throw ApiProblem.invalidParameter(name + " must be a month from 1970-01 to 2099-12; got " + month);
        }
        return month;
    }
}
