package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Generated secrets of the local stack (database passwords, the admin token), each in a file readable by its
 * owner only (created so, in a folder only its owner may enter), under the stack's home: never in the repository, never
 * on a command line, never logged, and never sent to PostgreSQL in clear (roles get SCRAM verifiers).
 */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private final Path dir;

    public Secrets(Path dir) {
        this.dir = dir;
    }

    /** The secret of that name, generated on first use. */
    public String get(String name) {
        Path file = file(name);
        try {
            if (!Files.exists(file)) {
                createOwnerOnlyDirectory(dir);
                writeOwnerOnly(file, randomToken() + "\n");
            }
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new StackException("cannot read or write secret " + file + ": " + e.getMessage(), e);
        }
    }

    /** The folder, created readable by its owner only (rwx------), or made so when it exists. */
    static void createOwnerOnlyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
            } catch (FileAlreadyExistsException createdMeanwhile) {
                // another process made it: its permissions are set below
            }
        }
        Files.setPosixFilePermissions(dir, OWNER_ONLY_DIRECTORY);
    }

    /**
     * Writes a file that is readable by its owner only from the moment it exists: the content goes to a temporary file
     * created with mode 0600 (never created wider and narrowed afterwards), which is then linked to its name in one step.
     * When the name exists already (another process won the race) that file is kept and this content dropped.
     */
    public static void writeOwnerOnly(Path file, String content) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        try {
            Files.writeString(temporary, content, StandardCharsets.UTF_8);
            try {
                Files.createLink(file, temporary);
            } catch (FileAlreadyExistsException keptTheirs) {
                // the first writer's secret is the secret
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Replaces {@code file} with {@code content}, mode 0600, owned by {@code owner} when not null, in one atomic rename:
     * a process reading it meanwhile (pgBackRest's archive command, a starting JVM) sees the old file or the new one,
     * never none or a file it may not read.
     */
    public static void replaceOwnerOnly(Path file, String content, UserPrincipal owner) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        try {
            Files.writeString(temporary, content, StandardCharsets.UTF_8);
            if (owner != null) {
                Files.setOwner(temporary, owner);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public static String randomToken() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
