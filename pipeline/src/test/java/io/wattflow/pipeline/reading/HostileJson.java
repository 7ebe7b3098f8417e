package io.wattflow.pipeline.reading;

import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Generates JSON readings as a hostile or broken producer would send them: the reading's fields (sometimes missing,
 * repeated or of another type) holding extreme numbers, instants far outside any calendar, odd strings and nesting.
 * Starts from a plausible reading most of the time, so that the hostile values also reach the later checks.
 */
public final class HostileJson {
    private static final long BASE_SECONDS = Instant.parse("2026-11-28T10:00:00Z").getEpochSecond();
    private static final String[] FIELDS = {"readingId", "meterId", "channel", "kind", "start", "end", "ts", "kwh", "registerKwh", "extra"};
    private static final String[] WORDS = {"\"interval\"", "\"register\"", "\"import\"", "\"export\"", "\"M1\"", "\"\"", "null", "true",
        "false", "[]", "{}", "[1,2]", "{\"a\":{\"b\":[1e999]}}", "-0", "0.0", "-0.0", "1e2147483647", "1e-2147483647", "1e9999999999"};
    private static final String[] YEARS = {"1969", "1970", "2026", "2099", "2100", "9999", "0000", "+1000000000", "-999999999", "+292278994"};
    private static final String[] ZONES = {"Z", ".5Z", ".999999999Z", "+01:00", "-18:00", "", "+18:00"};
    private static final String[] MANTISSAS = {"1", "-1", "0", "9.999999", "1.5", "0.000001", "999999999999.999999"};
    private static final String[] EXPONENTS = {"2147483647", "2147483648", "9999999999", "0", "6", "7", "12", "13", "19", "-6", "-7"};

    private HostileJson() {
    }

    @SafeVarargs
    static <T> T pick(SplittableRandom random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /** One JSON object, hostile in some of its members. */
    public static String reading(SplittableRandom random) {
        StringBuilder json = new StringBuilder("{");
        long quarter = random.nextInt(96);
        switch (random.nextInt(3)) {
            case 0 -> json.append("\"readingId\":\"r-").append(quarter).append("\",\"meterId\":\"M1\",\"kind\":\"interval\",\"start\":\"")
                    .append(Instant.ofEpochSecond(BASE_SECONDS + 900 * quarter)).append("\",\"end\":\"")
                    .append(Instant.ofEpochSecond(BASE_SECONDS + 900 * quarter + 900)).append("\",\"kwh\":1.5,");
            case 1 -> json.append("\"readingId\":\"g-").append(quarter).append("\",\"meterId\":\"M1\",\"kind\":\"register\",\"ts\":\"")
                    .append(Instant.ofEpochSecond(BASE_SECONDS + 900 * quarter)).append("\",\"registerKwh\":12345.678,");
            default -> {
            }
        }
        int members = random.nextInt(5);
        for (int i = 0; i < members; i++) {
            json.append('"').append(pick(random, FIELDS)).append("\":").append(value(random)).append(',');
        }
        if (json.length() > 1) {
            json.setLength(json.length() - 1);
        }
        return json.append('}').toString();
    }

    static String value(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0 -> Long.toString(random.nextLong());
            case 1 -> digits(random, 1 + random.nextInt(80));
            case 2 -> pick(random, MANTISSAS) + pick(random, "e", "E", "e+", "e-")
                    + (random.nextBoolean() ? pick(random, EXPONENTS) : Integer.toUnsignedString(random.nextInt()));
            case 3 -> digits(random, 1 + random.nextInt(30)) + "." + digits(random, 1 + random.nextInt(30));
            case 4 -> String.format("\"%s-%02d-%02dT%02d:%02d:00%s\"", pick(random, YEARS), random.nextInt(14), random.nextInt(33),
                    random.nextInt(26), 15 * random.nextInt(5), pick(random, ZONES));
            case 5 -> quoted(random);
            case 6 -> "[".repeat(random.nextInt(60)) + "]".repeat(random.nextInt(60));
            default -> pick(random, WORDS);
        };
    }

    private static String digits(SplittableRandom random, int count) {
        StringBuilder digits = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            digits.append((char) ('0' + random.nextInt(10)));
        }
        return digits.toString();
    }

    /** A JSON string of up to 80 arbitrary characters, escaped as JSON needs. */
    private static String quoted(SplittableRandom random) {
        StringBuilder json = new StringBuilder("\"");
        int length = random.nextInt(80);
        for (int i = 0; i < length; i++) {
            char c = (char) random.nextInt(random.nextBoolean() ? 128 : 0x10000);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c)) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"').toString();
    }
}
