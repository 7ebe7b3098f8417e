package io.wattflow.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {

    @Test
    void aSecretIsBornOwnerOnlyInAFolderOnlyItsOwnerMayEnter(@TempDir Path home) throws Exception {
        Path dir = home.resolve("secrets");
        String password = new Secrets(dir).get("api-password");

        assertThat(password).hasSizeGreaterThanOrEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("api-password")))).isEqualTo("rw-------");
        assertThat(new Secrets(dir).get("api-password")).isEqualTo(password);
        try (var files = Files.list(dir)) {
            assertThat(files.map(file -> file.getFileName().toString())).containsExactly("api-password"); // no temporary left
        }
    }

    @Test
    void aFileHoldingKeysIsReplacedWholeAndOwnerOnly(@TempDir Path home) throws Exception {
        Path config = home.resolve("config.yaml");
        Files.writeString(config, "s3.secret-key: old\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

        Secrets.replaceOwnerOnly(config, "s3.secret-key: new\n", null);

        assertThat(Files.readString(config)).isEqualTo("s3.secret-key: new\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        try (var files = Files.list(home)) {
            assertThat(files.map(file -> file.getFileName().toString())).containsExactly("config.yaml"); // no temporary left
        }
    }

    @Test
    void anExistingWideFolderIsNarrowed(@TempDir Path home) throws Exception {
        Path dir = Files.createDirectory(home.resolve("secrets"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        new Secrets(dir).get("token");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    }

    @Test
    void processesRacingForOneSecretAllGetTheSameOne(@TempDir Path home) {
        Path dir = home.resolve("secrets");
        List<CompletableFuture<String>> racers = IntStream.range(0, 8)
                .mapToObj(i -> CompletableFuture.supplyAsync(() -> new Secrets(dir).get("shared"))).toList();

        assertThat(racers.stream().map(CompletableFuture::join).distinct()).hasSize(1);
    }
}
