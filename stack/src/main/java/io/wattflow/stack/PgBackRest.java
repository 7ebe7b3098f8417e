package io.wattflow.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL's backups and WAL archive in the object store, by pgBackRest (Debian's package): every WAL segment is
 * pushed as PostgreSQL completes it ({@code archive_command}), and at least every {@link #ARCHIVE_TIMEOUT_SECONDS}
 * seconds while anything changes ({@code archive_timeout}), which bounds the newest change a restore can lose. Full and
 * incremental backups on {@code bin/wattflow backup}; a restore to the end of the archive or to a moment
 * ({@code bin/wattflow restore}). Its repository is {@code s3://wattflow-pg/pgbackrest}, over HTTPS (its S3 driver
 * speaks nothing else) with the object store's own certificate verified.
 *
 * <p>Runs as the OS user that runs PostgreSQL ({@code postgres} when the launcher is root), like the archive command
 * PostgreSQL runs; it reaches the server through a Unix socket in the stack's folder and authenticates with the
 * superuser's password from a password file only that user can read.
 */
public final class PgBackRest {
    public static final String STANZA = "wattflow";
    /** WAL is archived at least this often while the database changes: the recovery point objective of a restore. */
    public static final int ARCHIVE_TIMEOUT_SECONDS = 15;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ObjectStore objectStore;
    private final Secrets secrets;

    public PgBackRest(StackLayout layout, ObjectStore objectStore) {
        this.dir = layout.dataDir("pgbackrest");
        this.objectStore = objectStore;
        this.secrets = new Secrets(layout.secretsDir());
    }

    public Path configFile() {
        return dir.resolve("pgbackrest.conf");
    }

    /** Where PostgreSQL's socket is: pgBackRest talks to the server through it (it has no TCP option for its own queries). */
    public Path socketDir() {
        return dir.resolve("socket");
    }

    /** PostgreSQL's settings that archive every WAL segment to the repository. */
    public List<String> serverSettings() {
        return List.of("archive_mode=on", "wal_level=replica", "archive_timeout=" + ARCHIVE_TIMEOUT_SECONDS + "s",
                "archive_command='" + binary() + " --config=" + configFile() + " --stanza=" + STANZA + " archive-push %p'",
                "unix_socket_directories='" + socketDir() + "'");
    }

    /**
     * Writes the configuration for the server in {@code dataDir} on {@code port}, readable by its owner only (it holds
     * the store's keys); the folders belong to {@code postgres} when the launcher is root.
     */
    public void configure(Path dataDir, int port, boolean asRoot) {
        binary();
        try {
            for (Path folder : List.of(dir, dir.resolve("log"), dir.resolve("lock"), dir.resolve("spool"), socketDir())) {
                Files.createDirectories(folder);
                if (asRoot) {
                    PostgresServer.ownedByPostgres(folder);
                }
            }
            String config = String.join("\n",
                    "[global]",
                    "repo1-type=s3",
                    "repo1-s3-endpoint=" + objectStore.httpsHost(),
                    "repo1-storage-port=" + objectStore.httpsPort(),
                    "repo1-storage-ca-file=" + objectStore.certificate(),
                    "repo1-s3-uri-style=path",
                    "repo1-s3-bucket=" + ObjectStore.POSTGRES_BUCKET,
                    "repo1-s3-region=" + ObjectStore.REGION,
                    "repo1-s3-key=" + objectStore.accessKey(),
                    "repo1-s3-key-secret=" + objectStore.secretKey(),
                    "repo1-path=/pgbackrest",
                    // two full backups and what they need; older ones expire (their objects keep their versions)
                    "repo1-retention-full=2",
                    // small files packed together: the object count, not the bytes, dominates the time against S3
                    "repo1-bundle=y",
                    "compress-type=zst",
                    "start-fast=y",
                    "process-max=1",
                    "archive-timeout=60",
                    "log-level-console=warn",
                    "log-level-file=info",
                    "log-path=" + dir.resolve("log"),
                    "lock-path=" + dir.resolve("lock"),
                    "spool-path=" + dir.resolve("spool"),
                    "",
                    "[" + STANZA + "]",
                    "pg1-path=" + dataDir,
                    "pg1-port=" + port,
                    "pg1-socket-path=" + socketDir(),
                    "pg1-user=" + PostgresServer.SUPERUSER,
                    "");
            // replaced atomically: PostgreSQL's archive command may be reading them right now
            UserPrincipal owner = asRoot ? dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(PostgresServer.SUPERUSER) : null;
            Secrets.replaceOwnerOnly(configFile(), config, owner);
            Secrets.replaceOwnerOnly(dir.resolve("pgpass"), "*:*:*:" + PostgresServer.SUPERUSER + ":" + secrets.get("postgres-superuser-password")
                    + "\n", owner);
        } catch (IOException e) {
            throw new StackException("cannot write pgBackRest's configuration in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Creates the stanza (the repository's record of this database) when it is missing; checks the archive works. */
    public void createStanza() {
        try {
            run(List.of("stanza-create"), "pgbackrest stanza-create", TimeUnit.MINUTES.toSeconds(2));
        } catch (StackException e) {
            if (e.getMessage().contains("do not match the database")) {
                throw new StackException("the object store holds the backups of another PostgreSQL cluster (was its data folder deleted?): "
                        + "bring it back with bin/wattflow restore, or archive this new one elsewhere (" + e.getMessage() + ")", e);
            }
            throw e;
        }
    }

    /** A backup, {@code full} or {@code incr} (the changes since the last backup); returns it. */
    public Backup backup(String type) {
        if (!type.equals("full") && !type.equals("incr") && !type.equals("diff")) {
            throw new IllegalArgumentException("a backup is full, incr or diff, got " + type);
        }
        run(List.of("--type=" + type, "backup"), "pgbackrest backup", TimeUnit.MINUTES.toSeconds(20));
        List<Backup> all = backups();
        return all.get(all.size() - 1);
    }

    /** One backup in the repository: its label, type, times, and the WAL range it needs. */
    /** {@code references}: the earlier backups an incremental one builds on. */
    public record Backup(String label, String type, Instant started, Instant stopped, String walStart, String walStop, List<String> references) {
    }

    /** The backups in the repository, oldest first. */
    public List<Backup> backups() {
        String output = run(List.of("--output=json", "info"), "pgbackrest info", 120);
        List<Backup> backups = new ArrayList<>();
        try {
            for (JsonNode stanza : JSON.readTree(output)) {
                for (JsonNode backup : stanza.path("backup")) {
                    List<String> references = new ArrayList<>();
                    backup.path("reference").forEach(reference -> references.add(reference.asText()));
                    backups.add(new Backup(backup.path("label").asText(), backup.path("type").asText(),
                            Instant.ofEpochSecond(backup.path("timestamp").path("start").asLong()),
                            Instant.ofEpochSecond(backup.path("timestamp").path("stop").asLong()),
                            backup.path("archive").path("start").asText(), backup.path("archive").path("stop").asText(), references));
                }
            }
        } catch (IOException e) {
            throw new StackException("pgbackrest info printed no JSON: " + output, e);
        }
        return backups;
    }

    /**
     * Restores backup {@code label} into {@code dataDir} (emptied of what differs), to {@code target} when given, else
     * to the end of the archived WAL; the server then replays and is promoted when it starts.
     */
    public void restore(String label, Optional<Instant> target) {
        List<String> arguments = new ArrayList<>(List.of("--delta", "--set=" + label));
        if (target.isPresent()) {
            arguments.addAll(List.of("--type=time", "--target=" + target.get().toString().replace('T', ' ').replace("Z", "+00"),
                    "--target-action=promote"));
        }
        arguments.add("restore");
        run(arguments, "pgbackrest restore", TimeUnit.MINUTES.toSeconds(30));
    }

    /** The objects' keys in the bucket under which pgBackRest keeps backup {@code label} (bundles, manifest). */
    public static String backupPrefix(String label) {
        return "pgbackrest/backup/" + STANZA + "/" + label + "/";
    }

    private static Path binary() {
        return DebianPackages.require("pgbackrest", "pgbackrest");
    }

    private String run(List<String> arguments, String what, long timeoutSeconds) {
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        List<String> command = new ArrayList<>();
        if (asRoot) {
            command.addAll(List.of("runuser", "-u", PostgresServer.SUPERUSER, "--"));
        }
        command.addAll(List.of("env", "PGPASSFILE=" + dir.resolve("pgpass"), binary().toString(), "--config=" + configFile(),
                "--stanza=" + STANZA));
        command.addAll(arguments);
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile()).start();
            byte[] output = child.getInputStream().readAllBytes();
            if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new StackException(what + " did not finish within " + timeoutSeconds + " s; see " + dir.resolve("log"));
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (child.exitValue() != 0) {
                throw new StackException(what + " failed (exit " + child.exitValue() + "): " + text.strip() + "; see " + dir.resolve("log"));
            }
            return text;
        } catch (IOException e) {
            throw new StackException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted during " + what);
        }
    }
}
