package io.wattflow.stack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The commands of {@code bin/wattflow}, from the one table the script reads too ({@code commands.tsv}). */
final class Commands {
    /** One row: what must be built first, where it runs, its arguments and what it does. */
    record Command(String name, String build, String runsIn, String arguments, String description) {
    }

    private Commands() {
    }

    static List<Command> all() {
        try (InputStream in = Commands.class.getResourceAsStream("commands.tsv")) {
            if (in == null) {
                throw new IllegalStateException("commands.tsv is missing from the launcher's jar");
            }
            List<Command> commands = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] columns = line.split("\t", -1);
                if (columns.length != 5) {
                    throw new IllegalStateException("commands.tsv: a row has " + columns.length + " columns, not 5: " + line);
                }
                commands.add(new Command(columns[0], columns[1], columns[2], columns[3], columns[4]));
            }
            return commands;
        } catch (IOException e) {
            throw new IllegalStateException("commands.tsv cannot be read: " + e.getMessage(), e);
        }
    }

    /** The usage text: a command and its arguments, then what it does, wrapped at 116 characters. */
    static String usage() {
        StringBuilder usage = new StringBuilder("usage: bin/wattflow <command> [arguments]\n");
        for (Command command : all()) {
            String synopsis = command.name() + (command.arguments().isEmpty() ? "" : " " + command.arguments());
            if (synopsis.length() > 22) {
                usage.append("  ").append(synopsis).append('\n').append(" ".repeat(26));
            } else {
                usage.append("  ").append(String.format("%-24s", synopsis));
            }
            int column = 26;
            for (String word : command.description().split(" ")) {
                if (column + word.length() > 116) {
                    usage.setLength(usage.length() - 1); // the space after the last word
                    usage.append('\n').append(" ".repeat(26));
                    column = 26;
                }
                usage.append(word).append(' ');
                column += word.length() + 1;
            }
            usage.setLength(usage.length() - 1);
            usage.append('\n');
        }
        return usage.toString();
    }
}
