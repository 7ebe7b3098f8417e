package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;

/**
 * The stack's PostgreSQL: one instance owned by the stack ({@code up}), with its own data directory and port, created
 * with the machine's PostgreSQL binaries; or a primary and a synchronous standby managed by Patroni ({@code up --ha},
 * {@link PatroniCluster}), reached through a multi-host JDBC URL that finds the primary. PostgreSQL refuses to run as
 * root, so under root every server command runs as the {@code postgres} OS user. Only TCP on 127.0.0.1 with SCRAM
 * passwords; no Unix socket, whose path length limit long data directories would break.
 */
public final class PostgresServer {
    public static final String SUPERUSER = "postgres";
    public static final String DATABASE = "wattflow";
    public static final String PIPELINE_ROLE = "wattflow_pipeline";
    public static final String API_ROLE = "wattflow_api";
    /** The PostgreSQL exporter's role: server statistics and the aggregates of sql/V11__monitoring.sql. */
    public static final String MONITOR_ROLE = "wattflow_monitor";
    /** The role Patroni's standbys stream the primary's WAL as. */
    public static final String REPLICATION_ROLE = "replicator";
    /** How long tooling connections wait for PostgreSQL to accept and authenticate them, in seconds (pgjdbc's units). */
    public static final String PATIENT_CONNECT_SECONDS = "60";

    private final StackLayout layout;
    private final int port;
    private final Secrets secrets;
    private final ManagedProcess process;
    private final Path dataDir;
    private final PatroniCluster patroni;
    private PgBackRest backups;

    public PostgresServer(StackLayout layout, int port) {
        this(layout, port, null);
    }

    private PostgresServer(StackLayout layout, int port, PatroniCluster patroni) {
        this.layout = layout;
        this.port = port;
        this.secrets = new Secrets(layout.secretsDir());
        this.process = new ManagedProcess("postgres", layout.runDir(), layout.logDir());
        this.dataDir = layout.dataDir("postgres").resolve("pgdata");
        this.patroni = patroni;
    }

    /** A primary and a synchronous standby managed by Patroni, with their leader lock in the ZooKeeper ensemble. */
    public static PostgresServer highlyAvailable(StackLayout layout, Ports ports, ZooKeeperEnsemble zooKeeper) {
        return new PostgresServer(layout, ports.postgres(),
                new PatroniCluster(layout, ports.postgres(), ports.patroni(), zooKeeper.connectString()));
    }

    /** Every WAL segment archived to the object store by pgBackRest, which also takes and restores the backups. */
    public PostgresServer archivingTo(PgBackRest pgBackRest) {
        this.backups = pgBackRest;
        return this;
    }

    /** pgBackRest, when this server archives its WAL. */
    public Optional<PgBackRest> pgBackRest() {
        return Optional.ofNullable(backups);
    }

    /** The server's data directory (the small stack's only one). */
    public Path dataDir() {
        return dataDir;
    }

    /** The Patroni nodes of a highly available stack. */
    public Optional<PatroniCluster> patroni() {
        return Optional.ofNullable(patroni);
    }

    public ManagedProcess process() {
        return process;
    }

    public int port() {
        return port;
    }

    /**
     * The JDBC URL of the database: with Patroni, every node's address and {@code targetServerType=primary}, so pgjdbc
     * connects to whichever node is the primary now, and a client reconnecting after a failover finds the new one.
     */
    public String jdbcUrl(String database) {
        if (patroni != null) {
            return "jdbc:postgresql://" + String.join(",", patroni.nodes().stream().map(node -> Ports.HOST + ":" + node.postgresPort()).toList())
                    + "/" + database + "?targetServerType=primary";
        }
        return "jdbc:postgresql://" + Ports.HOST + ":" + port + "/" + database;
    }

    public String superuserPassword() {
        return secrets.get("postgres-superuser-password");
    }

    public String rolePassword(String role) {
        return secrets.get(role + "-password");
    }

    public Path rolePasswordFile(String role) {
        rolePassword(role);
        return secrets.file(role + "-password");
    }

    public boolean isRunning() {
        return patroni != null ? patroni.isRunning() : process.isRunning();
    }

    /** Creates the cluster on first start, starts it, creates the database and applies the migrations. */
    public void start() {
        start(true);
    }

    /** As {@link #start()}; {@code detached}: Patroni outlives the launcher (pg_ctl's server always does). */
    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        if (patroni != null) {
            patroni.start(superuserPassword(), secrets.get("postgres-replication-password"), detached);
            createDatabaseAndRoles(DATABASE);
            return;
        }
        Ports.requireFree(port, "PostgreSQL", "WATTFLOW_PG_PORT");
        Path bin = PostgresBinaries.find();
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        try {
            Path owned = prepareFolders(asRoot);
            Path log = process.logFile();
            if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
                initdb(bin, owned, asRoot);
            }
            // A postmaster.pid left by a killed server would make pg_ctl refuse to start.
            Path stalePid = dataDir.resolve("postmaster.pid");
            if (Files.exists(stalePid) && ProcessHandle.of(readPostmasterPid()).map(ProcessHandle::isAlive).orElse(false) == false) {
                Files.delete(stalePid);
            }
            String options = "-p " + port + " -c listen_addresses=" + Ports.HOST
                    + " -c max_connections=100 -c shared_buffers=64MB -c fsync=on";
            if (backups != null) {
                backups.configure(dataDir, port, asRoot);
                options += " -c " + String.join(" -c ", backups.serverSettings());
            } else {
                options += " -c unix_socket_directories=''";
            }
            run(asRoot, List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", log.toString(),
                    "-w", "-t", "60", "-o", options, "start"), "pg_ctl start");
            process.adopt(readPostmasterPid());
            process.awaitReady(() -> Ports.isOpen(port), Duration.ofSeconds(30), "accepting connections on port " + port);
            awaitPromoted();
            createDatabaseAndRoles(DATABASE);
            if (backups != null) {
                backups.createStanza();
            }
        } catch (IOException e) {
            throw new StackException("cannot prepare PostgreSQL in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** The stack's PostgreSQL folder and log, the postgres OS user's when the launcher is root. */
    private Path prepareFolders(boolean asRoot) throws IOException {
        Path owned = layout.dataDir("postgres");
        Files.createDirectories(owned);
        Files.createDirectories(layout.logDir());
        Path log = process.logFile();
        if (!Files.exists(log)) {
            Files.createFile(log);
        }
        if (asRoot) {
            ownedByPostgres(owned);
            Files.setOwner(log, owned.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SUPERUSER));
        }
        return owned;
    }

    /**
     * Rebuilds the data directory from pgBackRest's backup {@code label}, to {@code target} or else to the newest
     * archived WAL; {@link #start} then replays and promotes it. The server must be stopped.
     */
    public void restore(String label, Optional<java.time.Instant> target) {
        if (isRunning()) {
            throw new StackException("PostgreSQL is running: stop it before restoring");
        }
        PgBackRest pgBackRest = pgBackRest().orElseThrow(() -> new StackException("this PostgreSQL is not backed up by pgBackRest"));
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        try {
            prepareFolders(asRoot);
            Files.createDirectories(dataDir);
            Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            if (asRoot) {
                Files.setOwner(dataDir, dataDir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SUPERUSER));
            }
            // left by a killed server: pgBackRest refuses to restore over what looks like a running one
            Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
        } catch (IOException e) {
            throw new StackException("cannot prepare " + dataDir + " for the restore: " + e.getMessage(), e);
        }
        pgBackRest.configure(dataDir, port, asRoot);
        pgBackRest.restore(label, target);
    }

    /** A restored server replays the archive first and accepts writes only once promoted. */
    private void awaitPromoted() {
        process.awaitReady(() -> {
            try (Connection admin = connect("postgres"); Statement statement = admin.createStatement();
                 var result = statement.executeQuery("SELECT pg_is_in_recovery()")) {
                return result.next() && !result.getBoolean(1);
            } catch (SQLException e) {
                return false;
            }
        }, Duration.ofMinutes(30), "done with recovery (the replay of archived WAL after a restore)");
    }

    private void initdb(Path bin, Path owned, boolean asRoot) throws IOException {
        Path pwFile = owned.resolve("initdb-pw");
        Files.deleteIfExists(pwFile);
        Secrets.writeOwnerOnly(pwFile, superuserPassword() + "\n");
        try {
            if (asRoot) {
                Files.setOwner(pwFile, owned.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SUPERUSER));
            }
            run(asRoot, List.of(bin.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", SUPERUSER,
                    "--pwfile=" + pwFile, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                    "-E", "UTF8", "--locale=C", "--no-instructions"), "initdb");
        } finally {
            Files.deleteIfExists(pwFile);
        }
    }

    /** Creates a database (if missing), applies sql/ with Flyway, and gives the least-privilege roles a login. */
    public void createDatabaseAndRoles(String database) {
        try (Connection admin = connect("postgres")) {
            try (PreparedStatement exists = admin.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                exists.setString(1, database);
                if (!exists.executeQuery().next()) {
                    try (Statement create = admin.createStatement()) {
                        // Identifiers cannot be bound as parameters; the name is checked to be a plain identifier.
                        create.execute("CREATE DATABASE " + identifier(database));
                    }
                }
            }
        } catch (SQLException e) {
            throw new StackException("cannot create database " + database + ": " + e.getMessage(), e);
        }
        migrate(database);
        try (Connection db = connect(database); Statement statement = db.createStatement()) {
            for (String role : List.of(PIPELINE_ROLE, API_ROLE, MONITOR_ROLE)) {
                statement.execute("ALTER ROLE " + role + " LOGIN");
                // pgjdbc computes the SCRAM verifier here and sends only that: the password never crosses the wire
                // or reaches the server's log in clear (ALTER ROLE ... PASSWORD 'x' would put it in both).
                db.unwrap(PGConnection.class).alterUserPassword(role, rolePassword(role).toCharArray(), "scram-sha-256");
            }
            statement.execute("GRANT CONNECT ON DATABASE " + identifier(database) + " TO " + PIPELINE_ROLE + ", " + API_ROLE + ", "
                    + MONITOR_ROLE);
        } catch (SQLException e) {
            throw new StackException("cannot grant roles on " + database + ": " + e.getMessage(), e);
        }
    }

    public void migrate(String database) {
        Flyway.configure()
                .dataSource(jdbcUrl(database), SUPERUSER, superuserPassword())
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    /**
     * A superuser connection for the launcher and the tests. It waits up to a minute for the server to answer: on a
     * loaded machine the backend's start and authentication took longer than pgjdbc's 10 s default, and a check that
     * fails for a slow answer says nothing about what it checks.
     */
    public Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", SUPERUSER);
        properties.setProperty("password", superuserPassword());
        properties.setProperty("connectTimeout", PATIENT_CONNECT_SECONDS);
        properties.setProperty("loginTimeout", PATIENT_CONNECT_SECONDS);
        return DriverManager.getConnection(jdbcUrl(database), properties);
    }

    /** Stops the server (or every Patroni node); returns the names of what was running. */
    public List<String> stop() {
        if (patroni != null) {
            return patroni.stop();
        }
        if (!isRunning()) {
            return List.of();
        }
        try {
            boolean asRoot = "root".equals(System.getProperty("user.name"));
            run(asRoot, List.of(PostgresBinaries.find().resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"),
                    "pg_ctl stop");
        } catch (StackException e) {
            // pg_ctl failed (binaries gone?): fall back to the PID we recorded
        }
        process.stop(Duration.ofSeconds(10));
        return List.of("PostgreSQL");
    }

    private long readPostmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private void run(boolean asRoot, List<String> command, String what) {
        List<String> full = new ArrayList<>();
        if (asRoot) {
            full.addAll(List.of("runuser", "-u", SUPERUSER, "--"));
        }
        full.addAll(command);
        try {
            Process child = new ProcessBuilder(full).redirectErrorStream(true).start();
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (child.waitFor() != 0) {
                throw new StackException(what + " failed: " + output.strip() + "\n" + process.tailOfLog(20));
            }
        } catch (IOException e) {
            throw new StackException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted during " + what);
        }
    }

    /** Gives a folder to the postgres OS user, who must be able to reach it (when the launcher runs as root). */
    static void ownedByPostgres(Path dir) throws IOException {
        Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SUPERUSER));
        makeTraversable(dir);
    }

    /** The postgres user must be able to reach its folder: every parent needs the execute bit for others. */
    private static void makeTraversable(Path dir) throws IOException {
        for (Path p = dir.getParent(); p != null; p = p.getParent()) {
            var permissions = Files.getPosixFilePermissions(p);
            if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                permissions.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, permissions);
            }
        }
    }

    static String identifier(String name) {
        if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new StackException("database name " + name + " must be lower-case letters, digits and underscores");
        }
        return name;
    }

    /** Environment for the billing API process: connection to the database as the read-only API role. */
    public Map<String, String> apiEnvironment() {
        return Map.of(
                "WATTFLOW_DB_URL", jdbcUrl(DATABASE),
                "WATTFLOW_DB_USER", API_ROLE,
                "WATTFLOW_DB_PASSWORD_FILE", rolePasswordFile(API_ROLE).toString());
    }
}
