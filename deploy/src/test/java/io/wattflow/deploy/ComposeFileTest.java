package io.wattflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.wattflow.stack.DebianPackages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-compose.yml, proven without a Docker engine: Compose accepts it ({@code docker-compose config -q}, Debian's
 * docker-compose 1.29, so the file keeps to what that version knows), and it agrees with the code
 * ({@link ComposeConsistency}); the checker is shown to catch a drifted port and a misspelt variable.
 */
class ComposeFileTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path temp;

    /** {@code docker-compose config} of a compose file read as if it were in the repository's top folder. */
    private static String composeConfig(Path file, boolean quiet) throws Exception {
        Path binary = DebianPackages.require("docker-compose", "docker-compose");
        List<String> command = Stream.of(binary.toString(), "--project-directory", REPO.toString(), "-f", file.toString(), "config")
                .collect(java.util.stream.Collectors.toList());
        if (quiet) {
            command.add("-q");
        }
        Process process = new ProcessBuilder(command).directory(REPO.toFile()).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + errors).isZero();
        return output;
    }

    private static List<String> problemsOf(Path composeFile) throws Exception {
        return ComposeConsistency.check(REPO, composeConfig(composeFile, false),
                Files.readString(REPO.resolve("deploy/compose/nginx.conf")), Files.readString(REPO.resolve("deploy/compose/prometheus.yml")));
    }

    @Test
    void composeAcceptsTheFile() throws Exception {
        assertThat(composeConfig(REPO.resolve("docker-compose.yml"), true)).isEmpty();
    }

    @Test
    void everyPortTopicVariableFileAndCommandAgreesWithTheCode() throws Exception {
        assertThat(problemsOf(REPO.resolve("docker-compose.yml"))).isEmpty();
    }

    @Test
    void aDriftedPortOrAMisspeltVariableIsReported() throws Exception {
        String original = Files.readString(REPO.resolve("docker-compose.yml"));
        Path drifted = temp.resolve("docker-compose.yml");
        Files.writeString(drifted, original.replace("\"127.0.0.1:18080:80\"", "\"127.0.0.1:18088:80\"")
                .replace("WATTFLOW_DB_USER: wattflow_api", "WATTFLOW_DB_USERNAME: wattflow_api")
                .replace("\"readings.dlq 2 ", "\"readings.dlq 3 ")
                .replace("      - --job.name\n", "      - --job-name\n"));
        List<String> problems = problemsOf(drifted);
        assertThat(problems).anySatisfy(problem -> assertThat(problem).startsWith("published ports").contains("nginx=127.0.0.1:18088->80"));
        assertThat(problems).anySatisfy(problem -> assertThat(problem).isEqualTo(
                "billing-api sets WATTFLOW_DB_USERNAME, which ApiConfig does not read"));
        assertThat(problems).anySatisfy(problem -> assertThat(problem).startsWith("kafka-init creates").contains("readings.dlq=3"));
        assertThat(problems).anySatisfy(problem -> assertThat(problem).startsWith(
                "job-submitter's arguments are refused by the job: unknown option --job-name"));
    }
}
