package io.wattflow.bench.stack;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/** Timestamped progress lines, so a long benchmark shows where it is. */
final class Progress {
    private final PrintStream out;

    Progress(PrintStream out) {
        this.out = out;
    }

    void say(String format, Object... arguments) {
        out.println("[" + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "] " + String.format(format, arguments));
        out.flush();
    }
}
