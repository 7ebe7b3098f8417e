package io.wattflow.api.run;

import java.util.Locale;

/** An enum stored in the database (and shown in answers) by its name in lower case. */
interface StoredName {
    String name();

    /** The value in the database and in answers. */
    default String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E> & StoredName> E of(Class<E> type, String code) {
        return Enum.valueOf(type, code.toUpperCase(Locale.ROOT));
    }
}
