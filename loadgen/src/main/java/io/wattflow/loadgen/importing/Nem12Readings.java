package io.wattflow.loadgen.importing;

import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;

/**
 * AEMO's NEM12 interval data file (MDFF): record 100 (header), 200 (a data stream of an NMI: suffix, unit, interval
 * length), 300 (a day of interval values with their quality), 400 (quality of a range of a day's intervals when
 * the 300's is V, variable), 500 (B2B details, ignored), 900 (end).
 *
 * <p>Each interval value becomes an interval reading of meter NMI: suffix E (consumption) is channel import, B
 * (generation) export; Wh, kWh and MWh are converted exactly to kWh. Times are NEM time, UTC+10 all year: interval 1
 * of a day starts at its midnight there. Quality A is actual, E, F and S (estimated, final and other substitutes)
 * are carried as estimated with the file's flag; N (null) has no value to import and is counted. The reading id is
 * NMI, suffix, day and interval number, so importing a file again gives the same ids.
 */
public final class Nem12Readings {
    /** NEM time: the market's clock, AEST without daylight saving. */
    static final ZoneOffset NEM_TIME = ZoneOffset.ofHours(10);
    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

    private Nem12Readings() {
    }

    /** True when the file's first line is a NEM12 header record. */
    public static boolean isNem12(String firstLine) {
        String line = firstLine.startsWith("\uFEFF") ? firstLine.substring(1) : firstLine;
        return line.startsWith("100,NEM12");
    }

    /**
     * A 200 record: the stream its 300 records belong to; {@code refusal} is set when its values cannot be imported, and
     * its 300 and 400 records are then reported, not read.
     */
    private record Stream(long line, String nmi, String suffix, String channel, String unit, int intervalMinutes, String refusal) {
        int intervalsPerDay() {
            return 1440 / intervalMinutes;
        }
    }

    /** A 300 record waiting for the 400 records that give its qualities (V) or for the next record. */
    private static final class Day {
        final long line;
        final LocalDate date;
        final String[] values;
        final String[] qualities;

        Day(long line, LocalDate date, String[] values, String quality) {
            this.line = line;
            this.date = date;
            this.values = values;
            this.qualities = new String[values.length];
            if (!quality.startsWith("V")) {
                Arrays.fill(qualities, quality);
            }
        }
    }

    public static void read(Reader input, ReadingSink sink) throws IOException {
        BoundedLines lines = new BoundedLines(input);
        Stream stream = null;
        Day day = null;
        boolean ended = false;
        for (BoundedLines.Line line = lines.nextRow(sink); line != null; line = lines.nextRow(sink)) {
            String[] fields = line.text().split(",", -1);
            String record = fields[0].strip();
            if (!record.equals("400") && day != null) {
                emit(stream, day, sink);
                day = null;
            }
            if (ended) {
                sink.badRow(new BadRow(line.number(), "a record after the 900 end record"));
                continue;
            }
            try {
                switch (record) {
                    case "100" -> {
                        if (line.number() != 1 || fields.length < 2 || !fields[1].strip().equals("NEM12")) {
                            throw new IllegalArgumentException("a 100 header must be the first line and say NEM12");
                        }
                    }
                    case "200" -> {
                        stream = stream(fields, line.number());
                        if (stream.refusal() != null) {
                            throw new IllegalArgumentException(stream.refusal());
                        }
                    }
                    case "300" -> day = day(fields, stream, line.number());
                    case "400" -> variableQuality(fields, day);
                    case "500" -> {
                        // B2B details of the previous 300: nothing the readings need
                    }
                    case "900" -> ended = true;
                    default -> throw new IllegalArgumentException("unknown record type '" + ReadingJson.abbreviate(record)
                            + "' (NEM12 has 100, 200, 300, 400, 500 and 900)");
                }
            } catch (IllegalArgumentException e) {
                sink.badRow(new BadRow(line.number(), e.getMessage()));
            }
        }
        if (day != null) {
            emit(stream, day, sink);
        }
    }

    /** 200,NMI,NMIConfiguration,RegisterID,NMISuffix,MDMDataStreamIdentifier,MeterSerialNumber,UOM,IntervalLength,... */
    private static Stream stream(String[] fields, long line) {
        if (fields.length < 9) {
            return new Stream(line, "", "", "", "", 0, "a 200 record has at least 9 fields (NMI ... UOM, IntervalLength), this one "
                    + fields.length);
        }
        String nmi = fields[1].strip();
        String suffix = fields[4].strip().toUpperCase(Locale.ROOT);
        String unit = fields[7].strip();
        String refusal = null;
        if (!nmi.matches("[A-Za-z0-9]{10,11}")) {
            refusal = "NMI '" + ReadingJson.abbreviate(nmi) + "' is not 10 letters or digits";
        } else if (!suffix.matches("[EB][A-Z0-9]")) {
            refusal = "NMI suffix '" + ReadingJson.abbreviate(suffix) + "' is not an energy channel Wattflow bills (E consumption, B generation)";
        } else if (multiplier(unit) == null) {
            refusal = "unit '" + ReadingJson.abbreviate(unit) + "' is not energy in Wh, kWh or MWh";
        }
        int minutes;
        try {
            minutes = Integer.parseInt(fields[8].strip());
        } catch (NumberFormatException e) {
            minutes = 0;
        }
        if (refusal == null && minutes != 5 && minutes != 15 && minutes != 30) {
            refusal = "interval length '" + ReadingJson.abbreviate(fields[8].strip()) + "' is not 5, 15 or 30 minutes";
        }
        return new Stream(line, nmi, suffix, suffix.startsWith("B") ? "export" : "import", unit, minutes, refusal);
    }

    /** 300,IntervalDate,IntervalValue1..N,QualityMethod,ReasonCode,ReasonDescription,UpdateDateTime,MSATSLoadDateTime */
    private static Day day(String[] fields, Stream stream, long line) {
        if (stream == null) {
            throw new IllegalArgumentException("a 300 record before any 200 record");
        }
        if (stream.refusal() != null) {
            throw new IllegalArgumentException("belongs to the 200 record on line " + stream.line() + ", which was refused");
        }
        int intervals = stream.intervalsPerDay();
        // every field is present, blank when empty: the values' count is what places the quality method
        if (fields.length != intervals + 7) {
            throw new IllegalArgumentException("a 300 record of " + stream.intervalMinutes() + "-minute intervals has " + (intervals + 7)
                    + " fields (300, the date, " + intervals + " values, quality method, reason code and description, update and "
                    + "load times), this one " + fields.length);
        }
        LocalDate date;
        try {
            date = LocalDate.parse(fields[1].strip(), DAY);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("interval date '" + ReadingJson.abbreviate(fields[1].strip()) + "' is not YYYYMMDD");
        }
        String quality = fields[2 + intervals].strip().toUpperCase(Locale.ROOT);
        if (!quality.matches("[AEFNSV]\\d{0,2}")) {
            throw new IllegalArgumentException("quality method '" + ReadingJson.abbreviate(quality) + "' is not A, E, F, N, S or V (with a method number)");
        }
        return new Day(line, date, Arrays.copyOfRange(fields, 2, 2 + intervals), quality);
    }

    /** 400,StartInterval,EndInterval,QualityMethod,ReasonCode,ReasonDescription: the quality of a range of a V day. */
    private static void variableQuality(String[] fields, Day day) {
        if (day == null) {
            throw new IllegalArgumentException("a 400 record that follows no readable 300 record");
        }
        if (fields.length < 4) {
            throw new IllegalArgumentException("a 400 record has StartInterval, EndInterval and QualityMethod");
        }
        int first;
        int last;
        try {
            first = Integer.parseInt(fields[1].strip());
            last = Integer.parseInt(fields[2].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("StartInterval and EndInterval must be interval numbers");
        }
        if (first < 1 || last < first || last > day.values.length) {
            throw new IllegalArgumentException("intervals " + first + " to " + last + " are not within 1 to " + day.values.length);
        }
        String quality = fields[3].strip().toUpperCase(Locale.ROOT);
        if (!quality.matches("[AEFNS]\\d{0,2}")) {
            throw new IllegalArgumentException("quality method '" + ReadingJson.abbreviate(quality) + "' of a 400 record is not A, E, F, N or S");
        }
        Arrays.fill(day.qualities, first - 1, last, quality);
    }

    private static void emit(Stream stream, Day day, ReadingSink sink) {
        Instant midnight = day.date.atStartOfDay(NEM_TIME).toInstant();
        for (int i = 0; i < day.values.length; i++) {
            String quality = day.qualities[i];
            if (quality == null) {
                sink.badRow(new BadRow(day.line, "interval " + (i + 1) + " of a V (variable quality) day has no 400 record"));
                continue;
            }
            if (quality.startsWith("N")) {
                sink.noData(day.line);
                continue;
            }
            try {
                BigDecimal kwh = ReadingJson.kilowattHours(ReadingJson.decimal(day.values[i].strip(), "interval " + (i + 1))
                        .multiply(multiplier(stream.unit())), "interval " + (i + 1));
                Instant start = midnight.plusSeconds(60L * stream.intervalMinutes() * i);
                Instant end = start.plusSeconds(60L * stream.intervalMinutes());
                String readingId = "nem12:" + stream.nmi() + ":" + stream.suffix() + ":" + DAY.format(day.date) + ":" + (i + 1);
                boolean actual = quality.startsWith("A");
                sink.reading(new ImportedReading(stream.nmi(), ReadingJson.interval(readingId, stream.nmi(), stream.channel(), start, end,
                        kwh, actual ? "actual" : "estimated", actual ? null : quality), day.line));
            } catch (IllegalArgumentException e) {
                sink.badRow(new BadRow(day.line, e.getMessage()));
            }
        }
    }

    /** kWh per unit of the file, or null for a unit that is not energy. */
    private static BigDecimal multiplier(String unit) {
        return switch (unit.toUpperCase(Locale.ROOT)) {
            case "WH" -> new BigDecimal("0.001");
            case "KWH" -> BigDecimal.ONE;
            case "MWH" -> new BigDecimal("1000");
            default -> null;
        };
    }
}
