package io.wattflow.loadgen.importing;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The project's CSV of readings (docs/data-quality.md): a header row naming the columns, in any order, then one
 * reading per row. Interval rows: {@code meterId, start, end, kwh}; register rows: {@code kind} = register,
 * {@code meterId, ts, registerKwh}; optional {@code channel} (import) and {@code readingId}. Without a readingId a
 * row gets one derived from what identifies its reading (meter, channel, kind and times), so a file imported twice
 * gives the same ids and the job counts each reading once. Fields are RFC 4180 (quotes allowed); a row is one line.
 */
public final class CsvReadings {
    static final Set<String> COLUMNS = Set.of("meterId", "channel", "kind", "start", "end", "kwh", "ts", "registerKwh", "readingId");
    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setTrim(true).get();

    private CsvReadings() {
    }

    /** Thrown for what makes the whole file unreadable: its header. */
    public static final class BadHeader extends IllegalArgumentException {
        BadHeader(String message) {
            super(message);
        }
    }

    public static void read(Reader input, ReadingSink sink) throws IOException {
        BoundedLines lines = new BoundedLines(input);
        BoundedLines.Line headerLine = lines.next();
        if (headerLine == null || headerLine.text().isBlank()) {
            throw new BadHeader("the file is empty: its first line must name the columns, e.g. meterId,start,end,kwh");
        }
        List<String> header = fields(headerLine.text());
        for (String column : header) {
            if (!COLUMNS.contains(column)) {
                throw new BadHeader("line 1: unknown column '" + ReadingJson.abbreviate(column) + "'; the columns are " + COLUMNS);
            }
        }
        if (!header.contains("meterId")) {
            throw new BadHeader("line 1: the header has no meterId column");
        }
        for (BoundedLines.Line line = lines.nextRow(sink); line != null; line = lines.nextRow(sink)) {
            try {
                List<String> values = fields(line.text());
                if (values.size() != header.size()) {
                    throw new IllegalArgumentException("has " + values.size() + " fields, the header " + header.size());
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), values.get(i));
                }
                sink.reading(reading(row, line.number()));
            } catch (IllegalArgumentException e) {
                sink.badRow(new BadRow(line.number(), e.getMessage()));
            }
        }
    }

    private static List<String> fields(String line) throws IOException {
        try (CSVParser parser = CSVParser.parse(line, FORMAT)) {
            List<CSVRecord> records = parser.getRecords();
            if (records.size() != 1) {
                throw new IllegalArgumentException("is not one CSV record");
            }
            List<String> fields = new ArrayList<>();
            records.get(0).forEach(fields::add);
            return fields;
        } catch (UncheckedIOException | IllegalStateException e) {
            // on one line, commons-csv only fails on quotes
            throw new IllegalArgumentException("is not valid CSV: a quoted field is not closed, or a quote stands inside an unquoted field");
        }
    }

    private static ImportedReading reading(Map<String, String> row, long line) {
        String meterId = required(row, "meterId");
        if (!ReadingJson.METER_ID.matcher(meterId).matches()) {
            throw new IllegalArgumentException("meterId '" + ReadingJson.abbreviate(meterId) + "' must be 1-64 letters, digits or . _ : -");
        }
        String channel = optional(row, "channel", "import");
        if (!channel.equals("import") && !channel.equals("export")) {
            throw new IllegalArgumentException("channel must be import or export, got '" + ReadingJson.abbreviate(channel) + "'");
        }
        String kind = optional(row, "kind", "interval");
        String readingId = row.getOrDefault("readingId", "");
        if (readingId.length() > ReadingJson.MAX_READING_ID_CHARS) {
            throw new IllegalArgumentException("readingId is longer than " + ReadingJson.MAX_READING_ID_CHARS + " characters");
        }
        switch (kind) {
            case "interval" -> {
                Instant start = instant(row, "start");
                Instant end = instant(row, "end");
                if (!end.isAfter(start)) {
                    throw new IllegalArgumentException("end must be after start");
                }
                BigDecimal kwh = ReadingJson.kilowattHours(ReadingJson.decimal(required(row, "kwh"), "kwh"), "kwh");
                String id = readingId.isEmpty() ? derivedId(meterId, channel, kind, start + "/" + end) : readingId;
                return new ImportedReading(meterId, ReadingJson.interval(id, meterId, channel, start, end, kwh, null, null), line);
            }
            case "register" -> {
                Instant timestamp = instant(row, "ts");
                BigDecimal value = ReadingJson.kilowattHours(ReadingJson.decimal(required(row, "registerKwh"), "registerKwh"), "registerKwh");
                String id = readingId.isEmpty() ? derivedId(meterId, channel, kind, timestamp.toString()) : readingId;
                return new ImportedReading(meterId, ReadingJson.register(id, meterId, channel, timestamp, value), line);
            }
            default -> throw new IllegalArgumentException("kind must be interval or register, got '" + ReadingJson.abbreviate(kind) + "'");
        }
    }

    /** csv- and 32 hex digits of SHA-256 over what identifies the reading: stable across runs and files. */
    static String derivedId(String meterId, String channel, String kind, String times) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((meterId + "|" + channel + "|" + kind + "|" + times).getBytes(StandardCharsets.UTF_8));
            return "csv-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String required(Map<String, String> row, String column) {
        String value = row.get(column);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(column + " is required");
        }
        return value;
    }

    private static String optional(Map<String, String> row, String column, String fallback) {
        String value = row.get(column);
        return value == null || value.isEmpty() ? fallback : value;
    }

    /** An ISO-8601 instant with its offset (2026-11-28T10:00:00Z, 2026-11-28T11:00:00+01:00). */
    private static Instant instant(Map<String, String> row, String column) {
        String value = required(row, column);
        try {
            if (value.length() > 40) {
                throw new DateTimeParseException("too long", value, 0);
            }
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(column + " '" + ReadingJson.abbreviate(value)
                    + "' is not a date-time with an offset, e.g. 2026-11-28T10:00:00Z");
        }
    }
}
