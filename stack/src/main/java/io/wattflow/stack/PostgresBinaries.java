package io.wattflow.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where the machine's PostgreSQL server binaries are (initdb, pg_ctl): the stack runs its own server with them. */
final class PostgresBinaries {
    private PostgresBinaries() {
    }

    /** The server binaries: WATTFLOW_PG_BIN, else the newest /usr/lib/postgresql/N/bin; installed when missing under root. */
    static Path find() {
        String configured = System.getenv("WATTFLOW_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            Path bin = Path.of(configured);
            if (!Files.isExecutable(bin.resolve("initdb"))) {
                throw new StackException("WATTFLOW_PG_BIN=" + configured + " has no initdb: point it at PostgreSQL's bin folder");
            }
            return bin;
        }
        Path found = newestInstalled();
        if (found == null) {
            DebianPackages.installOrExplain("postgresql", "PostgreSQL server binaries not found (or set WATTFLOW_PG_BIN to "
                    + "the folder holding initdb and pg_ctl)");
            found = newestInstalled();
        }
        if (found == null) {
            throw new StackException("PostgreSQL server binaries not found after installing postgresql: set WATTFLOW_PG_BIN "
                    + "to the folder holding initdb and pg_ctl");
        }
        return found;
    }

    private static Path newestInstalled() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(bin -> Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(bin -> majorVersion(bin.getParent().getFileName().toString())))
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int majorVersion(String name) {
        try {
            return Integer.parseInt(name.replaceAll("[^0-9].*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
