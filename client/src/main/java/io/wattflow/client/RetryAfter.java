package io.wattflow.client;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** How long to wait before retrying an answer 503: the server's Retry-After when it sends one, else exponential backoff. */
final class RetryAfter {
    private static final long FIRST_BACKOFF_MILLIS = 500;

    private RetryAfter() {
    }

    /**
     * The wait before attempt {@code attempt + 1}: Retry-After in seconds or as an HTTP date (RFC 9110), or 0.5 s, 1 s,
     * 2 s, ... without one; never more than {@code max}, never negative.
     */
    static long delayMillis(HttpHeaders headers, int attempt, Duration max) {
        long backoff = FIRST_BACKOFF_MILLIS << Math.min(Math.max(attempt - 1, 0), 20);
        long wait = retryAfterMillis(headers, Instant.now()).orElse(backoff);
        return Math.max(0, Math.min(wait, max.toMillis()));
    }

    static Optional<Long> retryAfterMillis(HttpHeaders headers, Instant now) {
        Optional<String> value = headers == null ? Optional.empty() : headers.firstValue("Retry-After").map(String::trim);
        if (value.isEmpty() || value.get().length() > 64) {
            return Optional.empty();
        }
        String text = value.get();
        if (text.matches("\\d{1,9}")) {
            return Optional.of(Long.parseLong(text) * 1000);
        }
        try {
            Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Optional.of(Math.max(0, Duration.between(now, at).toMillis()));
        } catch (DateTimeParseException e) {
            return Optional.empty(); // not a Retry-After we understand: back off as without one
        }
    }
}
