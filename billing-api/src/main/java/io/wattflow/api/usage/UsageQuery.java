package io.wattflow.api.usage;

import io.wattflow.api.problem.ApiProblem;
import io.wattflow.api.problem.SupportedTimes;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;

/**
 * A validated usage range of a meter's or a customer's usage: [from, to) aligned to the granularity in the time zone.
 * Built only through {@link #parse}, so the service never sees an invalid one.
 */
public record UsageQuery(String channel, Granularity granularity, ZoneId zone, ZonedDateTime from, ZonedDateTime to) {

    /** The query as a cache key: every parameter that shapes the answer, normalized, and nothing else. */
    public String cacheKey() {
        return channel + "|" + granularity.code() + "|" + zone.getId() + "|" + from.toInstant() + "|" + to.toInstant();
    }

    public static UsageQuery parse(String channel, String granularity, String tz, String from, String to) {
        String resolvedChannel = channel == null || channel.isBlank() ? "import" : channel;
        if (!resolvedChannel.equals("import") && !resolvedChannel.equals("export")) {
            throw ApiProblem.invalidParameter("channel must be import or export; got '" + channel + "'");
        }
        Granularity resolvedGranularity = Granularity.fromCode(granularity == null || granularity.isBlank() ? "day" : granularity);
        ZoneId zone = zone(tz);
        ZonedDateTime start = time("from", from, zone);
        ZonedDateTime end = time("to", to, zone);
        if (!start.isBefore(end)) {
            throw ApiProblem.invalidParameter("from must be before to; got from=" + from + " and to=" + to);
        }
        for (var bound : new Object[][] {{"from", start}, {"to", end}}) {
            ZonedDateTime time = (ZonedDateTime) bound[1];
            if (!resolvedGranularity.isAligned(time)) {
                throw ApiProblem.invalidParameter(bound[0] + "=" + UsageService.TIME.format(time) + " is not aligned to granularity "
                        + resolvedGranularity.code() + " in " + zone + "; use " + UsageService.TIME.format(resolvedGranularity.floor(time)));
            }
        }
        if (Duration.between(start, end).compareTo(resolvedGranularity.maxRange()) > 0) {
            throw ApiProblem.invalidParameter("the range from " + from + " to " + to + " is longer than "
                    + resolvedGranularity.maxRange().toDays() + " days, the maximum for granularity " + resolvedGranularity.code()
                    + "; ask for a coarser granularity or a shorter range");
        }
        return new UsageQuery(resolvedChannel, resolvedGranularity, zone, start, end);
    }

    private static ZoneId zone(String tz) {
        if (tz == null || tz.isBlank()) {
            return ZoneId.of("UTC");
        }
        try {
            return ZoneId.of(tz);
        } catch (DateTimeException e) {
            throw ApiProblem.invalidParameter("tz must be an IANA time zone such as Europe/Berlin or UTC; got '" + tz + "'");
        }
    }

    /** 2026-11-28 (start of that day in tz), 2026-11-28T06:00 (local time in tz), or an instant with offset. */
    private static ZonedDateTime time(String name, String value, ZoneId zone) {
        if (value == null || value.isBlank()) {
            throw ApiProblem.invalidParameter(name + " is required, e.g. " + name + "=2026-11-01 or " + name + "=2026-11-01T00:00:00+01:00");
        }
        try {
            if (value.length() == 10) {
                return SupportedTimes.check(name, LocalDate.parse(value).atStartOfDay(zone));
            }
            if (value.endsWith("Z") || value.matches(".*[+-]\\d\\d:\\d\\d$")) {
                return SupportedTimes.check(name, OffsetDateTime.parse(value).atZoneSameInstant(zone));
            }
            return SupportedTimes.check(name, LocalDateTime.parse(value).atZone(zone));
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidParameter(name + "='" + value + "' is not a date (2026-11-01) or a date-time "
                    + "(2026-11-01T00:00:00+01:00)");
        }
    }
}
