package io.wattflow.bench.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HTTP load with wrk (Debian package {@code wrk}): 2 threads, 32 connections, latency distribution. */
final class Wrk {
    static final int THREADS = 2;
    static final int CONNECTIONS = 32;
    private static final Pattern REQUESTS_PER_SECOND = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE);
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /** Requests/s and latency percentiles of one wrk run. */
    record Result(double requestsPerSecond, double p50Millis, double p99Millis) {
    }

    private Wrk() {
    }

    /** One line saying what to install, or null when wrk is on the PATH. */
    static String missing() {
        try {
            Process probe = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            probe.waitFor(10, TimeUnit.SECONDS);
            return null;
        } catch (IOException e) {
            return "wrk is not installed: install it with 'sudo apt-get install -y wrk' (Debian package wrk) and run bin/wattflow bench again";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Loads {@code url} for {@code duration}. The bearer token goes in a Lua script readable only by us, not on wrk's
     * command line where every user of the machine could read it.
     */
    static Result run(String url, String bearerToken, Duration duration, Path workDir) {
        try {
            Files.createDirectories(workDir);
            Path script = workDir.resolve("auth.lua");
            Files.deleteIfExists(script);
            Files.createFile(script, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(script, "wrk.headers[\"Authorization\"] = \"Bearer " + bearerToken + "\"\n", StandardCharsets.UTF_8);
            Process wrk = new ProcessBuilder(List.of("wrk", "-t" + THREADS, "-c" + CONNECTIONS, "-d" + duration.toSeconds() + "s",
                    "--latency", "-s", script.toString(), url)).redirectErrorStream(true).start();
            String output = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!wrk.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS) || wrk.exitValue() != 0) {
                throw new BenchException("wrk against " + url + " failed: " + output.strip());
            }
            return parse(output, url);
        } catch (IOException e) {
            throw new BenchException("cannot run wrk: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        }
    }

    /** wrk's report as figures; a run with any failed request or socket error is not a result. */
    static Result parse(String output, String url) {
        Matcher failed = NON_2XX.matcher(output);
        if (failed.find()) {
            throw new BenchException(failed.group(1) + " requests to " + url + " did not answer 2xx: the figure would flatter the server");
        }
        Matcher errors = SOCKET_ERRORS.matcher(output);
        if (errors.find()) {
            throw new BenchException("wrk saw socket errors against " + url + ": " + errors.group());
        }
        Matcher rps = REQUESTS_PER_SECOND.matcher(output);
        if (!rps.find()) {
            throw new BenchException("wrk printed no Requests/sec line: " + output.strip());
        }
        Double p50 = null;
        Double p99 = null;
        Matcher percentile = PERCENTILE.matcher(output);
        while (percentile.find()) {
            double millis = toMillis(Double.parseDouble(percentile.group(2)), percentile.group(3));
            if (percentile.group(1).equals("50")) {
                p50 = millis;
            } else {
                p99 = millis;
            }
        }
        if (p50 == null || p99 == null) {
            throw new BenchException("wrk printed no latency distribution (run with --latency): " + output.strip());
        }
        return new Result(Double.parseDouble(rps.group(1)), p50, p99);
    }

    private static double toMillis(double value, String unit) {
        return switch (unit) {
            case "us" -> value / 1000;
            case "ms" -> value;
            case "s" -> value * 1000;
            case "m" -> value * 60_000;
            default -> throw new IllegalArgumentException(unit);
        };
    }
}
