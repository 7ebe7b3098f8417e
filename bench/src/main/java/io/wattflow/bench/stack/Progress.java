package io.wattflow.bench.stack;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** Timestamped progress lines, so a long benchmark shows where it is. */
final class Progress {
    /** Always with seconds: LocalTime's own text drops them when they are zero. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private final PrintStream out;

    Progress(PrintStream out) {
        this.out = out;
    }

    void say(String format, Object... arguments) {
        out.println("[" + TIME.format(LocalTime.now()) + "] " + String.format(format, arguments));
        out.flush();
    }
}
