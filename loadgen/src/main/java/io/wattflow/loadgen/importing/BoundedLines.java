package io.wattflow.loadgen.importing;

import java.io.IOException;
import java.io.Reader;

/**
 * The lines of a file, each at most {@link #MAX_LINE_CHARS} long: a longer line is cut off there and reported, and
 * the reader skips to its end, so one line of a corrupt or hostile file cannot fill the heap. Ends of line are
 * \n, \r\n or \r; a byte-order mark at the start is dropped.
 */
final class BoundedLines {
    static final int MAX_LINE_CHARS = 1 << 20;

    /** A line, its number (from 1), and whether it was longer than the bound. */
    record Line(long number, String text, boolean tooLong) {
    }

    private final Reader reader;
    private final StringBuilder buffer = new StringBuilder();
    private long number;
    private int pushedBack = -2;

    BoundedLines(Reader reader) {
        this.reader = reader;
    }

    /** The next line, or null at the end of the file. */
    Line next() throws IOException {
        buffer.setLength(0);
        boolean tooLong = false;
        int c = read();
        if (c == -1) {
            return null;
        }
        if (number == 0 && c == '\uFEFF') {
            c = read();
        }
        while (c != -1 && c != '\n' && c != '\r') {
            if (buffer.length() < MAX_LINE_CHARS) {
                buffer.append((char) c);
            } else {
                tooLong = true;
            }
            c = read();
        }
        if (c == '\r') {
            int after = read();
            if (after != '\n') {
                pushedBack = after;
            }
        }
        number++;
        return new Line(number, buffer.toString(), tooLong);
    }

    /** The next line that is not blank and within the bound; a longer one is reported to the sink as a bad row. */
    Line nextRow(ReadingSink sink) throws IOException {
        for (Line line = next(); line != null; line = next()) {
            if (line.tooLong()) {
                sink.badRow(new BadRow(line.number(), "longer than " + MAX_LINE_CHARS + " characters"));
            } else if (!line.text().isBlank()) {
                return line;
            }
        }
        return null;
    }

    private int read() throws IOException {
        if (pushedBack != -2) {
            int c = pushedBack;
            pushedBack = -2;
            return c;
        }
        return reader.read();
    }
}
