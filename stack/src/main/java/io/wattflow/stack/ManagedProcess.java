package io.wattflow.stack;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One server process of the stack: started with its output in a log file and its PID in a PID file, and
 * stopped by that PID only (never by name, so nothing else on the machine is touched).
 */
public final class ManagedProcess {
    private final String name;
    private final Path pidFile;
    private final Path logFile;

    private final Path diagnosticLog;

    /** The process writes its standard output and error to {@code <logDir>/<name>.log}. */
    public ManagedProcess(String name, Path runDir, Path logDir) {
        this(name, runDir, logDir.resolve(name + ".log"), logDir.resolve(name + ".log"));
    }

    /**
     * @param logFile where standard output and error go
     * @param diagnosticLog the file whose tail explains a failed start (a JVM that logs through log4j to its own file)
     */
    public ManagedProcess(String name, Path runDir, Path logFile, Path diagnosticLog) {
        this.name = name;
        this.pidFile = runDir.resolve(name + ".pid");
        this.logFile = logFile;
        this.diagnosticLog = diagnosticLog;
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    /**
     * Starts the command. When {@code detached}, the process gets its own session (setsid) so that it outlives
     * the launcher and a Ctrl-C in the launcher's terminal; tests start attached processes instead.
     */
    public ProcessHandle start(List<String> command, Map<String, String> environment, Path workDir, boolean detached) {
        List<String> full = new ArrayList<>();
        if (detached && Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            full.add("/usr/bin/setsid");
        }
        full.addAll(command);
        try {
            Files.createDirectories(pidFile.getParent());
            Files.createDirectories(logFile.getParent());
            Files.createDirectories(workDir);
            ProcessBuilder builder = new ProcessBuilder(full)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(environment);
            Process process = builder.start();
            Files.writeString(pidFile, Long.toString(process.pid()), StandardCharsets.UTF_8);
            return process.toHandle();
        } catch (IOException e) {
            throw new StackException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /** Records a PID that another program started (pg_ctl forks the postmaster). */
    public void adopt(long pid) {
        try {
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, Long.toString(pid), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StackException("cannot write " + pidFile + ": " + e.getMessage(), e);
        }
    }

    /** The live process of the PID file, if any. */
    public Optional<ProcessHandle> running() {
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean isRunning() {
        return running().isPresent();
    }

    /** SIGTERM, then SIGKILL after the grace period; removes the PID file. Returns whether a process was stopped. */
    public boolean stop(Duration grace) {
        Optional<ProcessHandle> process = running();
        process.ifPresent(handle -> {
            handle.destroy();
            try {
                handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception timeoutOrInterrupt) {
                handle.destroyForcibly();
                try {
                    handle.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // the kernel reaps it; nothing more to do here
                }
            }
        });
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException ignored) {
            // a stale PID file is harmless: running() checks that the PID is alive
        }
        return process.isPresent();
    }

    /** Waits until {@code ready} holds; fails with the tail of the log when the process dies or time runs out. */
    public void awaitReady(BooleanSupplier ready, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ready.getAsBoolean()) {
                return;
            }
            if (!isRunning()) {
                throw new StackException(name + " exited while starting; last lines of its log:\n" + tailOfLog(30));
            }
            sleep(Duration.ofMillis(250));
        }
        throw new StackException(name + " did not become ready (" + what + ") within " + timeout.toSeconds()
                + " s; last lines of its log:\n" + tailOfLog(30));
    }

    public String tailOfLog(int lines) {
        Path file = Files.exists(diagnosticLog) ? diagnosticLog : logFile;
        try {
            if (!Files.exists(file)) {
                return "(no log written)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read log: " + e.getMessage() + ")";
        }
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }
}
