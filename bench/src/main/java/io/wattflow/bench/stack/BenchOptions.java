package io.wattflow.bench.stack;

import java.util.List;
import java.util.Set;

/** The command line of {@code bin/wattflow bench}. */
final class BenchOptions {
    static final String USAGE = """
            usage: bin/wattflow bench [--quick] [--runs N] [--backlog READINGS] [--only GROUPS] [--keep]
              --quick            each figure once, on smaller data (500,000 readings, 1,000 customers, 10,000 meters of state)
              --runs N           runs per figure (default 3)
              --backlog N        readings of the pre-loaded backlog (default 2,500,000)
              --only GROUPS      some of: drain (the ceiling and the drains), latency, recovery, api, state; comma-separated;
                                 the other figures are carried over from the previous target/bench/results.json
              --keep             leave the benchmark's stack running (to profile it); stop it with
                                 WATTFLOW_HOME=target/bench/stack bin/wattflow down
            Starts its own stack in target/bench/stack on the usual ports (stop yours first: bin/wattflow down) and
            writes target/bench/results.json and target/bench/results.txt.""";

    static final Set<String> GROUPS = Set.of("drain", "latency", "recovery", "api", "state");

    private BenchOptions() {
    }

    /** The sizes the options ask for; null for help. */
    static BenchSettings parse(String[] args) {
        BenchSettings settings = BenchSettings.standard();
        Integer runs = null;
        Integer backlog = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> settings = BenchSettings.quickLook();
                case "--runs" -> runs = number(args, ++i, "--runs");
                case "--backlog" -> backlog = number(args, ++i, "--backlog");
                case "--only" -> i++;
                case "--keep" -> {
                }
                case "help", "--help", "-h" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        if (runs != null) {
            settings = settings.withRuns(runs);
        }
        return backlog == null ? settings : settings.withBacklog(backlog);
    }

    static Set<String> groups(String[] args) {
        int only = List.of(args).indexOf("--only");
        if (only < 0) {
            return GROUPS;
        }
        if (only + 1 >= args.length) {
            throw new IllegalArgumentException("--only needs groups such as drain,api");
        }
        Set<String> chosen = Set.of(args[only + 1].split(","));
        for (String group : chosen) {
            if (!GROUPS.contains(group)) {
                throw new IllegalArgumentException("--only: unknown group '" + group + "'; groups: drain, latency, recovery, api, state");
            }
        }
        return chosen;
    }

    private static int number(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a number");
        }
        try {
            return Integer.parseInt(args[index].replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a whole number, got '" + args[index] + "'");
        }
    }
}
