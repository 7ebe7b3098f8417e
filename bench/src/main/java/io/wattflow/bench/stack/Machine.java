package io.wattflow.bench.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** Cores, memory, processor, JDK and OS of this machine, and how the benchmark shares it. */
final class Machine {
    private Machine() {
    }

    static Map<String, Object> describe(BenchSettings settings) {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("memory", procValue("/proc/meminfo", "MemTotal"));
        machine.put("cpu", procValue("/proc/cpuinfo", "model name"));
        machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("sharing", "the load generator, the bare consumer and wrk run on the same cores as Kafka, Flink, "
                + "PostgreSQL, QuestDB and the API");
        machine.put("mode", (settings.quick() ? "--quick" : "full") + ", " + settings.runs() + " run(s) per figure, backlog "
                + String.format("%,d", settings.backlogReadings()) + " readings of " + String.format("%,d", settings.backlogMeters())
                + " meters");
        return machine;
    }

    private static String procValue(String file, String field) {
        try (Stream<String> lines = Files.lines(Path.of(file))) {
            return lines.filter(line -> line.startsWith(field)).map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
