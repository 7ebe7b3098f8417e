package io.wattflow.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CommandsTest {

    @Test
    void theLauncherHandlesExactlyTheCommandsTheTableSaysRunInIt() {
        assertThat(new Launcher(null, System.out).handlers().keySet()).containsExactlyInAnyOrderElementsOf(
                Commands.all().stream().filter(command -> command.runsIn().equals("launcher")).map(Commands.Command::name).toList());
    }

    @Test
    void everyRowSaysWhatToBuildAndWhereItRunsInWordsTheScriptKnows() throws IOException {
        String script = Files.readString(Path.of("../bin/wattflow"));
        assertThat(Commands.all()).isNotEmpty().allSatisfy(command -> {
            assertThat(command.build()).isIn("none", "launcher", "all");
            assertThat(command.runsIn()).isIn("launcher", "script", "bench");
            assertThat(command.description()).isNotBlank();
        });
        assertThat(script).contains("stack/src/main/resources/io/wattflow/stack/commands.tsv", "  launcher) ", "  all) ", "  script) ",
                "  bench)");
    }

    @Test
    void theUsageListsEveryCommand() {
        assertThat(Launcher.USAGE).contains(Commands.all().stream().map(command -> "\n  " + command.name()).toList());
    }
}
