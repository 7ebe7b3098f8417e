package io.wattflow.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Debian packages the stack runs as plain processes (PostgreSQL, Prometheus, Alertmanager, the PostgreSQL
 * exporter): found on the machine, installed with apt-get when missing and the launcher runs as root, otherwise a
 * one-line message saying what to install. Nothing is downloaded from anywhere but the machine's apt sources.
 */
public final class DebianPackages {
    private static final Object APT = new Object();

    private DebianPackages() {
    }

    /** The path of {@code binary} in /usr/bin or /usr/sbin, installing {@code debianPackage} first when it is missing. */
    public static Path require(String binary, String debianPackage) {
        Path found = installed(binary);
        if (found == null) {
            installOrExplain(debianPackage, binary + " not found");
            found = installed(binary);
        }
        if (found == null) {
            throw new StackException(binary + " is still missing after installing " + debianPackage
                    + ": check 'dpkg -L " + debianPackage + "'");
        }
        return found;
    }

    /**
     * Installs {@code debianPackage} when running as root; otherwise fails with the command to run.
     * One install at a time in this JVM; apt's own lock (waited for up to 5 minutes) orders installs of other processes.
     */
    static void installOrExplain(String debianPackage, String why) {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new StackException(why + ": run 'sudo apt-get install -y " + debianPackage + "' (Debian package "
                    + debianPackage + ")");
        }
        synchronized (APT) {
            System.out.println(why + ": installing the Debian package " + debianPackage);
            List<String> install = List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q",
                    "--no-install-recommends", debianPackage);
            if (run(install) != 0) {
                // The package lists may be missing or stale on a fresh machine: refresh them once and try again.
                run(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-q"));
                if (run(install) != 0) {
                    throw new StackException("apt-get could not install " + debianPackage + ": see the lines above, or install it "
                            + "yourself with 'sudo apt-get install -y " + debianPackage + "'");
                }
            }
        }
    }

    private static Path installed(String binary) {
        for (String dir : List.of("/usr/bin", "/usr/sbin")) {
            Path candidate = Path.of(dir, binary);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Runs an apt-get command; its output is shown only when it fails (its last 20 lines). */
    private static int run(List<String> command) {
        Path output = null;
        try {
            output = Files.createTempFile("wattflow-apt-", ".log");
            // Debian's maintainer scripts try to start the service they install; policy-rc.d refuses, and the stack
            // runs the binary itself. Non-interactive: no question may wait for a terminal that is not there.
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process child = builder.start();
            if (!child.waitFor(15, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                throw new StackException(String.join(" ", command) + " did not finish within 15 minutes");
            }
            if (child.exitValue() != 0) {
                List<String> lines = Files.readAllLines(output);
                System.out.println(String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
            }
            return child.exitValue();
        } catch (IOException e) {
            throw new StackException(String.join(" ", command) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while running " + String.join(" ", command));
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file; the system cleans it
                }
            }
        }
    }
}
