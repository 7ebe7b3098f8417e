package io.wattflow.loadgen;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces deterministic readings to Kafka: {@code --meters N --rate R --duration D --seed S}.
 * R x D readings are spread over N meters; the same arguments (and {@code --start}) give the same records.
 */
public final class LoadGenerator {

    static final String USAGE = "usage: produce [--bootstrap HOST:PORT] [--topic readings] [--meters 100] [--rate 1000] "
            + "[--duration 10s] [--seed 1] [--start 2026-11-28T00:00:00Z] [--interval-minutes 15] "
            + "[--duplicates 0.0] [--out-of-order 0.0] [--late 0.0] [--malformed 0.0] [--register-meters 0] [--register-resets 0.0]";

    /** Parsed command line. */
    public record Options(String bootstrap, String topic, GeneratorSettings settings, double rate) {
    }

    public static void main(String[] args) {
        try {
            Options options = parse(args, Instant.now());
            Summary summary = produce(options);
            System.out.println(summary.describe());
        } catch (IllegalArgumentException e) {
            System.err.println("produce: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("produce: " + e.getMessage());
            System.exit(1);
        }
    }

    public static Options parse(String[] args, Instant now) {
        Map<String, String> values = new LinkedHashMap<>(Map.of(
                "bootstrap", "127.0.0.1:19092", "topic", "readings", "meters", "100", "rate", "1000",
                "duration", "10s", "seed", "1", "interval-minutes", "15"));
        values.putAll(Map.of("duplicates", "0", "out-of-order", "0", "late", "0", "malformed", "0",
                "register-meters", "0", "register-resets", "0"));
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value, got '" + arg + "'");
            }
            String key = arg.substring(2);
            if (!values.containsKey(key) && !key.equals("start")) {
                throw new IllegalArgumentException("unknown option --" + key);
            }
            values.put(key, args[++i]);
        }
        int meters = integer(values, "meters");
        double rate = decimal(values, "rate");
        if (rate <= 0) {
            throw new IllegalArgumentException("--rate must be positive (readings per second), got " + values.get("rate"));
        }
        Duration duration = duration(values.get("duration"));
        long readings = Math.max(1, (long) Math.ceil(rate * duration.toMillis() / 1000.0));
        int perMeter = (int) Math.max(1, Math.ceil((double) readings / (meters + integer(values, "register-meters"))));
        int intervalMinutes = integer(values, "interval-minutes");
        long seed = Long.parseLong(values.get("seed"));
        GeneratorSettings settings;
        if (values.containsKey("start")) {
            try {
                settings = new GeneratorSettings(meters, perMeter, intervalMinutes, seed, Instant.parse(values.get("start")), 0, 0, 0, 0);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--start must be an ISO instant such as 2026-11-28T00:00:00Z, got " + values.get("start"));
            }
        } else {
            settings = GeneratorSettings.endingBefore(now, meters, perMeter, intervalMinutes, seed);
        }
        settings = settings.withFaults(decimal(values, "duplicates"), decimal(values, "out-of-order"),
                decimal(values, "late"), decimal(values, "malformed"))
                .withRegisterMeters(integer(values, "register-meters"), decimal(values, "register-resets"));
        return new Options(values.get("bootstrap"), values.get("topic"), settings, rate);
    }

    /** How readings are produced, by the generator and by file imports: every record acknowledged by all replicas, once. */
    public static Properties producerProperties(String bootstrap) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        properties.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        // A record waits this long for a broker that is slow (a busy machine, a leader moving) before the run fails:
        // readings are kept, so patience costs nothing but a later answer
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
        return properties;
    }

    /** What a run produced. */
    public record Summary(GeneratorSettings settings, long records, long validReadings, long malformed, long totalMilliWattHours,
                          Duration took) {
        public String describe() {
            return String.format("produced %d records (%d valid readings, %d malformed) for %d meters over [%s, %s), "
                            + "seed %d: %s kWh valid in total, in %.1f s",
                    records, validReadings, malformed, settings.allMeters(), settings.start(), settings.end(), settings.seed(),
                    BigDecimal.valueOf(totalMilliWattHours, 6).toPlainString(), took.toMillis() / 1000.0);
        }
    }

    /**
     * Sends the generated records at the given rate, idempotently, and waits until every one is acknowledged. An
     * interrupt stops it: what was sent is flushed, then it throws.
     */
    public static Summary produce(Options options) {
        Properties properties = producerProperties(options.bootstrap());
        ReadingGenerator generator = new ReadingGenerator(options.settings());
        AtomicReference<Exception> failure = new AtomicReference<>();
        long started = System.nanoTime();
        long records = 0;
        boolean interrupted = false;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties, new StringSerializer(), new StringSerializer())) {
            while (generator.hasNext() && !interrupted) {
                ReadingGenerator.Record record = generator.next();
                producer.send(new ProducerRecord<>(options.topic(), record.key(), record.value()), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
                records++;
                if (failure.get() != null) {
                    break;
                }
                interrupted = !pace(started, records, options.rate());
            }
            producer.flush();
        }
        if (interrupted) {
            // Flagged again only now: a producer closed by an interrupted thread logs its own interruption as an error.
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted after " + records + " records");
        }
        if (failure.get() != null) {
            throw new IllegalStateException("Kafka at " + options.bootstrap() + " refused a record: " + failure.get().getMessage(),
                    failure.get());
        }
        long valid = 0;
        long total = 0;
        for (ReadingGenerator.IntervalReading reading : ReadingGenerator.validReadings(options.settings())) {
            valid++;
            total += reading.energyMilliWattHours();
        }
        return new Summary(options.settings(), records, valid, generator.malformedCount(), total,
                Duration.ofNanos(System.nanoTime() - started));
    }

    /** Waits until the next record is due; false when interrupted (the interrupt is consumed). */
    private static boolean pace(long startedNanos, long sent, double rate) {
        long due = startedNanos + (long) (sent / rate * 1_000_000_000L);
        long wait = due - System.nanoTime();
        if (wait > 2_000_000) {
            try {
                Thread.sleep(wait / 1_000_000);
            } catch (InterruptedException e) {
                return false;
            }
        }
        return !Thread.interrupted();
    }

    private static int integer(Map<String, String> values, String key) {
        try {
            return Integer.parseInt(values.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a whole number, got '" + values.get(key) + "'");
        }
    }

    private static double decimal(Map<String, String> values, String key) {
        try {
            return Double.parseDouble(values.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, got '" + values.get(key) + "'");
        }
    }

    /** 90s, 5m, 1h, or plain seconds. */
    static Duration duration(String text) {
        try {
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            char unit = text.charAt(text.length() - 1);
            String number = Character.isDigit(unit) ? text : text.substring(0, text.length() - 1);
            long amount = Long.parseLong(number);
            return switch (unit) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> {
                    if (Character.isDigit(unit)) {
                        yield Duration.ofSeconds(amount);
                    }
                    throw new NumberFormatException();
                }
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--duration must look like 30s, 5m or 1h, got '" + text + "'");
        }
    }
}
