package io.wattflow.stack;

import io.wattflow.stack.ChaosCampaign.Fault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The faults of {@code bin/wattflow chaos}, each injected into a running highly available stack, with a probe that
 * tells when the system has noticed it (a new leader elected, a lease taken over). Processes die by {@code kill -9}
 * of their recorded PID. The network cut drops the TaskManagers' packets to PostgreSQL's ports: the TaskManagers run
 * in a cgroup of their own ({@link #isolateTaskManagers()}, before they open connections, since a socket keeps the
 * cgroup it was made in) and an iptables rule matches it; {@link #healNetwork()} always removes the rules, also when
 * the campaign is interrupted (a shutdown hook).
 */
final class FaultInjector {
    static final Duration QUESTDB_OUTAGE = Duration.ofSeconds(60);
    static final Duration NETWORK_CUT = Duration.ofSeconds(30);

    /** The billing run a fault interrupts: started on demand, and who holds its lease. */
    interface BillingRun {
        /** Starts the run and returns the instance that holds its lease. */
        String start();

        Optional<String> leaseOwner();
    }

    private static final Path CGROUPS = Path.of("/sys/fs/cgroup/unified");

    private final LocalStack stack;
    private final String taskManagerGroup = "wattflow-chaos-" + ProcessHandle.current().pid();
    private final List<List<String>> networkRules = new ArrayList<>();
    private long faultStarted;

    FaultInjector(LocalStack stack) {
        this.stack = stack;
        Runtime.getRuntime().addShutdownHook(new Thread(this::healNetwork, "chaos-heal-network"));
    }

    /**
     * Injects the fault; returns the probe that holds once the system has reacted to it in its own way (a new leader,
     * a lease taken over), or null for a fault the job itself shows (its tasks failing) or rides out.
     */
    BooleanSupplier inject(Fault fault, BillingRun billingRun) {
        faultStarted = System.nanoTime();
        switch (fault) {
            case TASK_MANAGER -> kill(stack.flink().taskManager(1));
            case LEADING_JOB_MANAGER -> {
                int leader = stack.flink().leadingJobManager().orElseThrow(() -> new StackException("no JobManager leads"));
                kill(stack.flink().jobManager(leader));
                return () -> stack.flink().leadingJobManager().filter(now -> now != leader).isPresent();
            }
            case READINGS_LEADER_BROKER -> {
                int leader = partitionLeader(0).orElseThrow(() -> new StackException("readings partition 0 has no leader"));
                kill(broker(leader));
                return () -> partitionLeader(0).filter(now -> now != leader).isPresent();
            }
            case ZOOKEEPER_NODE -> {
                ZooKeeperEnsemble ensemble = stack.zooKeeper().orElseThrow();
                ZooKeeperEnsemble.Node leader = ensemble.nodes().stream().filter(node -> ZooKeeperEnsemble.mode(node).orElse("").equals("leader"))
                        .findFirst().orElseThrow(() -> new StackException("no ZooKeeper node leads"));
                kill(leader.process());
                return () -> ensemble.nodes().stream().filter(node -> node != leader)
                        .anyMatch(node -> ZooKeeperEnsemble.mode(node).orElse("").equals("leader"));
            }
            case POSTGRES_PRIMARY -> {
                PatroniCluster patroni = stack.postgres().patroni().orElseThrow();
                PatroniCluster.Node primary = patroni.primary().orElseThrow(() -> new StackException("no PostgreSQL primary"));
                patroni.kill(primary);
                return () -> patroni.primary().filter(now -> now != primary).isPresent();
            }
            case BILLING_RUN_INSTANCE -> {
                String owner = billingRun.start();
                kill(stack.api().instances().stream().filter(instance -> instance.process().name().equals(owner)).findFirst()
                        .orElseThrow(() -> new StackException("no API instance is called " + owner)).process());
                return () -> billingRun.leaseOwner().filter(now -> !now.equals(owner)).isPresent();
            }
            case QUESTDB_STOPPED -> stack.questDb().stop();
            case POSTGRES_NETWORK_CUT -> cutNetworkToPostgres();
            case BROKER_AND_TASK_MANAGER -> {
                int leader = partitionLeader(1).orElseThrow(() -> new StackException("readings partition 1 has no leader"));
                kill(broker(leader));
                kill(stack.flink().taskManager(2));
            }
        }
        return null;
    }

    /** Ends a fault that lasts: QuestDB stays away and the network cut for their whole duration. */
    void afterFault(Fault fault) {
        Duration lasts = fault == Fault.QUESTDB_STOPPED ? QUESTDB_OUTAGE : fault == Fault.POSTGRES_NETWORK_CUT ? NETWORK_CUT : Duration.ZERO;
        long remaining = faultStarted + lasts.toNanos() - System.nanoTime();
        if (remaining > 0) {
            ManagedProcess.sleep(Duration.ofNanos(remaining));
        }
        if (fault == Fault.POSTGRES_NETWORK_CUT) {
            healNetwork();
        }
    }

    /**
     * Moves the running TaskManagers into the campaign's cgroup (cgroup v2), so that the sockets they open from now on
     * can be matched by the network cut. Called before the job starts and after every {@code up}.
     */
    void isolateTaskManagers() {
        Path group = CGROUPS.resolve(taskManagerGroup);
        try {
            Files.createDirectories(group);
            for (int i = 1; i <= FlinkCluster.TASK_MANAGERS; i++) {
                Optional<ProcessHandle> taskManager = stack.flink().taskManager(i).running();
                if (taskManager.isPresent()) {
                    Files.writeString(group.resolve("cgroup.procs"), Long.toString(taskManager.get().pid()));
                }
            }
        } catch (IOException e) {
            throw new StackException("cannot put the TaskManagers into the cgroup " + group + " (the network cut needs cgroup v2 at "
                    + CGROUPS + "): " + e.getMessage(), e);
        }
    }

    /** Removes the campaign's cgroup once its processes are gone; a non-empty one is left for the kernel to keep. */
    void releaseTaskManagerGroup() {
        try {
            Files.deleteIfExists(CGROUPS.resolve(taskManagerGroup));
        } catch (IOException e) {
            // still holds a process (the stack kept with --keep): harmless
        }
    }

    private void cutNetworkToPostgres() {
        String iptables = DebianPackages.require("iptables", "iptables").toString();
        for (PatroniCluster.Node node : stack.postgres().patroni().orElseThrow().nodes()) {
            List<String> rule = List.of("OUTPUT", "-o", "lo", "-m", "cgroup", "--path", taskManagerGroup, "-p", "tcp", "--dport",
                    Integer.toString(node.postgresPort()), "-j", "DROP");
            run(iptables, "-I", rule);
            synchronized (networkRules) {
                networkRules.add(rule);
            }
        }
    }

    /** Removes every rule this campaign added; safe to call again. */
    void healNetwork() {
        synchronized (networkRules) {
            for (List<String> rule : networkRules) {
                run("/usr/sbin/iptables", "-D", rule);
            }
            networkRules.clear();
        }
    }

    private static void run(String iptables, String action, List<String> rule) {
        List<String> command = new ArrayList<>(List.of(iptables, "-w", "5", action));
        command.addAll(rule);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new StackException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new StackException("cannot run iptables: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    private Optional<Integer> partitionLeader(int partition) {
        try (Admin admin = stack.kafka().admin()) {
            TopicPartitionInfo info = admin.describeTopics(List.of("readings")).allTopicNames().get(5, TimeUnit.SECONDS).get("readings")
                    .partitions().get(partition);
            return info.leader() == null || info.leader().isEmpty() ? Optional.empty() : Optional.of(info.leader().id());
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private ManagedProcess broker(int nodeId) {
        return stack.kafka().brokers().stream().filter(broker -> broker.nodeId() == nodeId).findFirst()
                .orElseThrow(() -> new StackException("no Kafka node " + nodeId)).process();
    }

    private static void kill(ManagedProcess process) {
        ProcessHandle handle = process.running().orElseThrow(() -> new StackException(process.name() + " is not running"));
        handle.destroyForcibly();
        handle.onExit().join();
    }
}
