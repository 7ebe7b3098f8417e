package io.wattflow.bench;

import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.ReadingParser;
import io.wattflow.pipeline.usage.ProRataSplit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-reading hot paths of the metering job, measured alone: parsing a reading of the contract, and splitting
 * an interval over its 15-minute buckets (aligned, the common case, and spanning four buckets).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotPathBenchmarks {
    private static final long START = Instant.parse("2026-11-28T10:05:00Z").toEpochMilli();
    private final ReadingParser parser = new ReadingParser(
            new ReadingParser.ReadingRules(Duration.ofDays(7), Duration.ofMinutes(5), Duration.ofDays(1), 10_000));
    private final RawReading reading = new RawReading("readings", 0, 0, Instant.parse("2026-11-28T10:16:00Z").toEpochMilli(),
            "MTR-0001".getBytes(StandardCharsets.UTF_8),
            ("{\"readingId\":\"r-1\",\"meterId\":\"MTR-0001\",\"kind\":\"interval\",\"start\":\"2026-11-28T10:00:00Z\","
                    + "\"end\":\"2026-11-28T10:15:00Z\",\"kwh\":1.234567}").getBytes(StandardCharsets.UTF_8));

    @Benchmark
    public ReadingParser.Result parseReading() {
        return parser.parse(reading);
    }

    @Benchmark
    public List<ProRataSplit.Part> splitAlignedQuarterHour() {
        return ProRataSplit.split(START - 300_000, START + 600_000, 1_234_567);
    }

    @Benchmark
    public List<ProRataSplit.Part> splitAcrossFourBuckets() {
        return ProRataSplit.split(START, START + 2_700_000, 1_234_567);
    }
}
