package io.wattflow.api.run;

import io.wattflow.api.problem.ApiProblem;

/** The paging parameters of every list: {@code limit} 1-500 (default 100) and {@code offset} (default 0). */
public final class Pages {
    public static final int MAX_LIMIT = 500;

    private Pages() {
    }

    public static int limit(String text) {
        return number("limit", text, 100, 1, MAX_LIMIT);
    }

    public static int offset(String text) {
        return number("offset", text, 0, 0, Integer.MAX_VALUE);
    }

    private static int number(String name, String text, int defaultValue, int min, int max) {
        if (text == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text);
            if (value < min || value > max) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiProblem.invalidParameter(name + " must be a whole number from " + min + " to " + max + "; got '" + text + "'");
        }
    }
}
