package io.wattflow.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Generated secrets of the local stack (database passwords, the admin token), each in a file readable by its
 * owner only, under the stack's home: never in the repository, never on a command line, never logged.
 */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Path dir;

    public Secrets(Path dir) {
        this.dir = dir;
    }

    /** The secret of that name, generated on first use. */
    public String get(String name) {
        Path file = file(name);
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            }
            Files.createDirectories(dir);
            String value = randomToken();
            Files.writeString(file, value + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return value;
        } catch (IOException e) {
            throw new StackException("cannot read or write secret " + file + ": " + e.getMessage(), e);
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
