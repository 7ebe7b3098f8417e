package io.wattflow.stack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Configuration files of the tools the stack runs (Prometheus, Alertmanager), written from maps and lists. */
final class YamlFiles {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private YamlFiles() {
    }

    static void write(Path file, String headerComment, Object content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "# " + headerComment + "\n" + YAML.writeValueAsString(content));
        } catch (IOException e) {
            throw new StackException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
