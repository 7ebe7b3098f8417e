package io.wattflow.api.usage;

import io.wattflow.api.problem.ApiProblem;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

/**
 * Width of a usage point, in the report's time zone. Each has a longest allowed range, so one request can never
 * ask for an unbounded number of points.
 */
public enum Granularity {
    QUARTER_HOUR("15m", Duration.ofDays(31)),
    HOUR("hour", Duration.ofDays(366)),
    DAY("day", Duration.ofDays(3_660)),
    MONTH("month", Duration.ofDays(3_660));

    private final String code;
    private final Duration maxRange;

    Granularity(String code, Duration maxRange) {
        this.code = code;
        this.maxRange = maxRange;
    }

    public String code() {
        return code;
    }

    public Duration maxRange() {
        return maxRange;
    }

    public static Granularity fromCode(String code) {
        for (Granularity granularity : values()) {
            if (granularity.code.equals(code)) {
                return granularity;
            }
        }
        throw ApiProblem.invalidParameter("granularity must be one of 15m, hour, day, month; got '" + code + "'");
    }

    /** True when the local time is a boundary of this granularity. */
    public boolean isAligned(ZonedDateTime time) {
        return time.equals(floor(time));
    }

    /** Start of the point that contains the time. */
    public ZonedDateTime floor(ZonedDateTime time) {
        return switch (this) {
            // 15 minutes and hours are counted on the instant's local clock; zones with 30- or 45-minute offsets work too.
            case QUARTER_HOUR -> time.truncatedTo(ChronoUnit.MINUTES).withMinute(time.getMinute() / 15 * 15);
            case HOUR -> time.truncatedTo(ChronoUnit.HOURS);
            case DAY -> time.toLocalDate().atStartOfDay(time.getZone());
            case MONTH -> time.toLocalDate().withDayOfMonth(1).atStartOfDay(time.getZone());
        };
    }

    /** Start of the next point: days and months follow the calendar, so DST days have 23 or 25 hours. */
    public ZonedDateTime next(ZonedDateTime start) {
        return switch (this) {
            case QUARTER_HOUR -> start.plusMinutes(15);
            case HOUR -> start.plusHours(1);
            case DAY -> start.toLocalDate().plusDays(1).atStartOfDay(start.getZone());
            case MONTH -> start.toLocalDate().plusMonths(1).atStartOfDay(start.getZone());
        };
    }
}
