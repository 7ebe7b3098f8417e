package io.wattflow.loadgen.importing;

import io.wattflow.loadgen.LoadGenerator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code bin/wattflow import FILE}: historical readings from a file into the readings topic, with the contract and
 * guarantees of live ones. A row that gives no reading is reported with its line number and the rest go on; every
 * reading sent is acknowledged by all in-sync replicas before the import reports success; the reading ids come from
 * what identifies each reading, so importing the same file again changes nothing the job bills.
 */
public final class ReadingImport {
    /** Bad rows printed one per line; past this many only counted, so a wrong file does not flood the terminal. */
    static final int MAX_PRINTED_BAD_ROWS = 50;

    private ReadingImport() {
    }

    /** What an import did. */
    public record Summary(String format, long readings, long badRows, long intervalsWithoutData) {
        public String describe(Path file) {
            return "imported " + count(readings, "reading") + " from " + file + " (" + format + ")"
                    + (badRows == 0 ? "" : "; " + count(badRows, "bad row") + " not imported")
                    + (intervalsWithoutData == 0 ? "" : "; " + count(intervalsWithoutData, "interval") + " without data (quality N) skipped");
        }

        private static String count(long number, String noun) {
            return number + " " + noun + (number == 1 ? "" : "s");
        }
    }

    public static Summary importFile(Path file, String bootstrap, String topic, PrintStream problems) throws IOException {
        try (Producer<String, String> producer = new KafkaProducer<>(LoadGenerator.producerProperties(bootstrap), new StringSerializer(),
                new StringSerializer())) {
            return importFile(file, producer, topic, problems);
        }
    }

    /** Reads the file and sends its readings through the producer; throws when Kafka did not take every one. */
    static Summary importFile(Path file, Producer<String, String> producer, String topic, PrintStream problems) throws IOException {
        String format = format(file);
        AtomicReference<Exception> failure = new AtomicReference<>();
        long[] counts = new long[3]; // readings, bad rows, intervals without data
        ReadingSink sink = new ReadingSink() {
            @Override
            public void reading(ImportedReading reading) {
                producer.send(new ProducerRecord<>(topic, reading.meterId(), reading.json()), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
                counts[0]++;
            }

            @Override
            public void badRow(BadRow row) {
                counts[1]++;
                if (counts[1] <= MAX_PRINTED_BAD_ROWS) {
                    problems.println(file + ":" + row.line() + ": " + row.reason());
                } else if (counts[1] == MAX_PRINTED_BAD_ROWS + 1) {
                    problems.println(file + ": more bad rows; only the first " + MAX_PRINTED_BAD_ROWS + " are listed, all are counted");
                }
            }

            @Override
            public void noData(long line) {
                counts[2]++;
            }
        };
        try (Reader reader = utf8(file)) {
            if (format.equals("NEM12")) {
                Nem12Readings.read(reader, sink);
            } else {
                CsvReadings.read(reader, sink);
            }
        } finally {
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("Kafka did not take every reading (" + failure.get().getMessage() + "); the import can be run "
                    + "again: readings already taken keep their ids and are counted once", failure.get());
        }
        return new Summary(format, counts[0], counts[1], counts[2]);
    }

    /** The file as UTF-8; bytes that are not UTF-8 read as U+FFFD, so the row holding them is reported, not the file. */
    private static Reader utf8(Path file) throws IOException {
        return new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8));
    }

    /** NEM12 when the first line is its 100 header record, else the project's CSV. */
    static String format(Path file) throws IOException {
        try (Reader reader = utf8(file)) {
            BoundedLines.Line first = new BoundedLines(reader).next();
            return first != null && Nem12Readings.isNem12(first.text()) ? "NEM12" : "CSV";
        }
    }
}
