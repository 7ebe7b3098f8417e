package io.wattflow.pipeline;

import io.wattflow.pipeline.reading.ReadingParser;
import io.wattflow.pipeline.usage.UsageRules;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's one configuration object, parsed once from {@code --option value} arguments. Every option, its default
 * and its meaning are in {@link #OPTIONS} (and in docs/pipeline.md, which is written from the same table).
 */
public final class PipelineConfig {

    /** One option of the job. */
    public record Option(String name, String defaultValue, String description) {
    }

    public static final Option KAFKA_BOOTSTRAP = new Option("kafka.bootstrap-servers", "127.0.0.1:19092", "Kafka brokers to read readings from and write dead letters to.");
    public static final Option READINGS_TOPIC = new Option("kafka.readings-topic", "readings", "Topic of the readings (key = meter id, value = JSON reading).");
    public static final Option DEAD_LETTER_TOPIC = new Option("kafka.dead-letter-topic", "readings.dlq", "Topic of rejected records: original bytes, reason in headers.");
    public static final Option GROUP_ID = new Option("kafka.group-id", "wattflow-metering", "Consumer group; offsets are committed on checkpoints, for monitoring only (state holds the truth).");
    public static final Option TRANSACTIONAL_ID_PREFIX = new Option("kafka.transactional-id-prefix", "wattflow-metering-dlq", "Prefix of the dead-letter sink's transactional ids: stable and unique per job on the cluster.");
    public static final Option DEAD_LETTER_MAX_BYTES = new Option("kafka.dead-letter-max-bytes", "1179648", "max.request.size of the dead-letter producer: at least the readings topic's max.message.bytes plus 64 KiB for the reason headers, so any record the readings topic took fits; the dead-letter topic's max.message.bytes must be as large.");
    public static final Option TRANSACTION_TIMEOUT = new Option("kafka.transaction-timeout", "15m", "transaction.timeout.ms of the dead-letter sink; must not exceed the broker's transaction.max.timeout.ms.");
    public static final Option POSTGRES_URL = new Option("postgres.url", "jdbc:postgresql://127.0.0.1:15432/wattflow", "JDBC URL of the billing database holding usage_15m.");
    public static final Option POSTGRES_USER = new Option("postgres.user", "wattflow_pipeline", "Database role: may only upsert usage_15m.");
    public static final Option POSTGRES_PASSWORD_FILE = new Option("postgres.password-file", "", "File holding the role's password (read on submission; never passed on the command line).");
    public static final Option INFLUX_URL = new Option("influx.url", "http://127.0.0.1:19000", "InfluxDB v2 write endpoint (QuestDB in the local stack).");
    public static final Option INFLUX_ORG = new Option("influx.org", "wattflow", "InfluxDB organisation.");
    public static final Option INFLUX_BUCKET = new Option("influx.bucket", "wattflow", "InfluxDB bucket.");
    public static final Option INFLUX_TOKEN_FILE = new Option("influx.token-file", "", "File holding the InfluxDB token; empty for servers without authentication.");
    public static final Option CHECKPOINT_INTERVAL = new Option("checkpoint.interval", "10s", "Exactly-once checkpoint interval: the latency of billing-visible usage.");
    public static final Option LATENESS_HORIZON = new Option("lateness-horizon", "7d", "Readings ending more than this before their Kafka record timestamp are rejected (too_late).");
    public static final Option MAX_FUTURE_SKEW = new Option("max-future-skew", "5m", "Readings ending more than this after their Kafka record timestamp are rejected (future_timestamp).");
    public static final Option MAX_INTERVAL = new Option("max-interval", "1d", "Longest accepted interval reading (interval_too_long).");
    public static final Option MAX_AVERAGE_KW = new Option("max-average-kw", "10000", "Largest plausible average power of any meter, in kW: over an interval (implausible_energy) and between register values (implausible_register), unless --max-power-kw names the meter's class.");
    public static final Option MAX_POWER_KW = new Option("max-power-kw", "", "Maximum power per meter class, as prefix=kW pairs (e.g. HH-=100,CI-=5000): a register advance faster than this is rejected (implausible_register) and does not move the meter's baseline. A meter's class is the longest configured prefix of its id; other meters use --max-average-kw.");
    public static final Option MAX_REGISTER_SPAN = new Option("max-register-span", "400d", "Longest register span that is billed: the consumption between two register values further apart is not spread over buckets (the later value is a new baseline, counted in registerGapsNotBilled). Bounds the buckets one reading can touch.");
    public static final Option REGISTER_CAPACITIES = new Option("register-capacities", "", "Register capacity per meter class, as prefix=kWh pairs (e.g. MTR-=100000,GW-=1000000): a register that drops is a rollover, not a reset, when wrapping at that capacity is plausible. A meter's class is the longest configured prefix of its id.");
    public static final Option SINK_BATCH_SIZE = new Option("sink.batch-size", "1000", "Rows per JDBC batch.");
    public static final Option INFLUX_BATCH_SIZE = new Option("influx.batch-size", "5000", "Points per InfluxDB write (one HTTP request, one commit in QuestDB).");
    public static final Option SINK_BATCH_INTERVAL = new Option("sink.batch-interval", "500ms", "Longest time a row or point waits before it is written.");
    public static final Option JOB_NAME = new Option("job.name", "wattflow-metering", "Name of the job on the cluster.");
    public static final Option RESYNC = new Option("resync", "false", "true: when the job starts or restores, it writes the total of every bucket its state holds again (after a PostgreSQL restore to a moment before the job's checkpoint; the upserts are absolute, so this is idempotent).");

    public static final List<Option> OPTIONS = List.of(KAFKA_BOOTSTRAP, READINGS_TOPIC, DEAD_LETTER_TOPIC, GROUP_ID,
            TRANSACTIONAL_ID_PREFIX, DEAD_LETTER_MAX_BYTES, TRANSACTION_TIMEOUT, POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD_FILE, INFLUX_URL,
            INFLUX_ORG, INFLUX_BUCKET, INFLUX_TOKEN_FILE, CHECKPOINT_INTERVAL, LATENESS_HORIZON, MAX_FUTURE_SKEW,
            MAX_INTERVAL, MAX_AVERAGE_KW, MAX_POWER_KW, MAX_REGISTER_SPAN, REGISTER_CAPACITIES, SINK_BATCH_SIZE, INFLUX_BATCH_SIZE, SINK_BATCH_INTERVAL, JOB_NAME,
            RESYNC);

    private final Map<String, String> values;

    private PipelineConfig(Map<String, String> values) {
        this.values = values;
    }

    public static PipelineConfig defaults() {
        return fromArgs(new String[0]);
    }

    public static PipelineConfig fromArgs(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        OPTIONS.forEach(option -> values.put(option.name(), option.defaultValue()));
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value, got '" + arg + "'");
            }
            String name = arg.substring(2);
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("unknown option --" + name + "; options: "
                        + String.join(", ", OPTIONS.stream().map(Option::name).toList()));
            }
            values.put(name, args[++i]);
        }
        PipelineConfig config = new PipelineConfig(values);
        config.usageRules(); // fail on submission, not in the cluster, when a duration or number is wrong
        config.checkpointInterval();
        config.transactionTimeout();
        config.batchSize();
        config.batchInterval();
        config.deadLetterMaxBytes();
        return config;
    }

    /** A copy with one option changed; for tests and the launcher. */
    public PipelineConfig with(Option option, String value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(option.name(), value);
        return new PipelineConfig(copy);
    }

    public String get(Option option) {
        return values.get(option.name());
    }

    public Duration checkpointInterval() {
        return duration(CHECKPOINT_INTERVAL);
    }

    public Duration transactionTimeout() {
        return duration(TRANSACTION_TIMEOUT);
    }

    public int deadLetterMaxBytes() {
        long bytes = number(DEAD_LETTER_MAX_BYTES);
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--" + DEAD_LETTER_MAX_BYTES.name() + " must be below 2^31");
        }
        return (int) bytes;
    }

    public int batchSize() {
        return (int) number(SINK_BATCH_SIZE);
    }

    public int influxBatchSize() {
        return (int) number(INFLUX_BATCH_SIZE);
    }

    public Duration batchInterval() {
        return duration(SINK_BATCH_INTERVAL);
    }

    public ReadingParser.ReadingRules readingRules() {
        return new ReadingParser.ReadingRules(duration(LATENESS_HORIZON), duration(MAX_FUTURE_SKEW), duration(MAX_INTERVAL),
                number(MAX_AVERAGE_KW));
    }

    /** Whether the job writes every bucket its state holds again when it starts ({@link #RESYNC}). */
    public boolean resync() {
        String value = get(RESYNC);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("--" + RESYNC.name() + " must be true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    public UsageRules usageRules() {
        ReadingParser.ReadingRules reading = readingRules();
        Map<String, Long> capacities = classValues(REGISTER_CAPACITIES, "kWh", "MTR-=100000,GW-=1000000", 6);
        Map<String, Long> maxPower = classValues(MAX_POWER_KW, "kW", "HH-=100,CI-=5000", 0);
        Duration maxRegisterSpan = duration(MAX_REGISTER_SPAN);
        if (maxRegisterSpan.compareTo(reading.latenessHorizon()) < 0) {
            throw new IllegalArgumentException("--" + MAX_REGISTER_SPAN.name() + " must be at least --" + LATENESS_HORIZON.name());
        }
        return UsageRules.of(reading.latenessHorizon(), reading.maxInterval(), reading.maxAverageKilowatts(), capacities)
                .withMaxPower(maxPower).withMaxRegisterSpan(maxRegisterSpan).withMaxFutureSkew(reading.maxFutureSkew());
    }

    /** prefix=amount pairs; each amount a positive decimal, scaled by 10^{@code scale} to a whole number. */
    private Map<String, Long> classValues(Option option, String unit, String example, int scale) {
        Map<String, Long> values = new LinkedHashMap<>();
        String text = get(option).trim();
        if (!text.isEmpty()) {
            for (String pair : text.split(",")) {
                String[] prefixAndAmount = pair.split("=", 2);
                try {
                    long amount = new BigDecimal(prefixAndAmount[1].trim()).movePointRight(scale).longValueExact();
                    if (prefixAndAmount[0].isBlank() || amount <= 0) {
                        throw new NumberFormatException();
                    }
                    values.put(prefixAndAmount[0].trim(), amount);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--" + option.name() + " must be prefix=" + unit + " pairs such as "
                            + example + "; got '" + pair + "'");
                }
            }
        }
        return values;
    }

    public String postgresPassword() {
        return secret(POSTGRES_PASSWORD_FILE, "WATTFLOW_PG_PASSWORD");
    }

    public String influxToken() {
        return secret(INFLUX_TOKEN_FILE, "WATTFLOW_INFLUX_TOKEN");
    }

    /** From the named file, else from the environment variable, else empty. */
    private String secret(Option file, String environmentVariable) {
        String path = get(file);
        if (!path.isBlank()) {
            try {
                return Files.readString(Path.of(path), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("--" + file.name() + " " + path + " cannot be read: " + e.getMessage(), e);
            }
        }
        String fromEnvironment = System.getenv(environmentVariable);
        return fromEnvironment == null ? "" : fromEnvironment;
    }

    private long number(Option option) {
        try {
            long value = Long.parseLong(get(option));
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + option.name() + " must be a positive whole number, got '" + get(option) + "'");
        }
    }

    private Duration duration(Option option) {
        String text = get(option).trim();
        try {
            if (text.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))), option);
            }
            long amount = Long.parseLong(text.substring(0, text.length() - 1));
            return positive(switch (text.charAt(text.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                case 'd' -> Duration.ofDays(amount);
                default -> throw new NumberFormatException();
            }, option);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--" + option.name() + " must be a duration such as 500ms, 10s, 5m, 1h or 7d, got '" + text + "'");
        }
    }

    private static Duration positive(Duration duration, Option option) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--" + option.name() + " must be positive");
        }
        return duration;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
