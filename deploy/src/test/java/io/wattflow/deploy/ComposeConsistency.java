package io.wattflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.wattflow.api.ApiConfig;
import io.wattflow.loadgen.LoadGenerator;
import io.wattflow.pipeline.PipelineConfig;
import io.wattflow.stack.KafkaBroker;
import io.wattflow.stack.LocalStack;
import io.wattflow.stack.Ports;
import io.wattflow.stack.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether docker-compose.yml agrees with the code: published ports with the local stack's defaults, the API's variables
 * with {@link ApiConfig}, the job's and load generator's arguments with their parsers, the topics with
 * {@link KafkaBroker#wattflowTopics()}, roles with {@link PostgresServer}, every mounted file and secret with what exists
 * or is generated, and the addresses NGINX and Prometheus use with the ports the services listen on. Reads the file as
 * {@code docker-compose config} normalises it (anchors resolved, paths absolute).
 */
final class ComposeConsistency {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Path repo;
    private final JsonNode compose;
    private final List<String> problems = new ArrayList<>();

    private ComposeConsistency(Path repo, JsonNode compose) {
        this.repo = repo;
        this.compose = compose;
    }

    /** Every disagreement found, one line each; empty when the file and the code agree. */
    static List<String> check(Path repo, String normalisedCompose, String nginxConf, String prometheusConf) throws Exception {
        ComposeConsistency checker = new ComposeConsistency(repo, YAML.readTree(normalisedCompose));
        checker.publishedPorts();
        checker.apiEnvironment(nginxConf, prometheusConf);
        checker.jobArguments();
        checker.loadGeneratorArguments();
        checker.topics();
        checker.mountsAndSecrets();
        checker.postgresRoles();
        return checker.problems;
    }

    private JsonNode service(String name) {
        JsonNode service = compose.path("services").path(name);
        if (service.isMissingNode()) {
            problems.add("no service " + name);
        }
        return service;
    }

    private void expect(boolean holds, String problem) {
        if (!holds) {
            problems.add(problem);
        }
    }

    private static int defaultPort(String variable) {
        return Ports.SETTINGS.stream().filter(setting -> setting.variable().equals(variable)).findFirst().orElseThrow().defaultPort();
    }

    /** What the host sees is where bin/wattflow's stack would be: same ports, loopback only. */
    private void publishedPorts() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("kafka", "127.0.0.1:" + defaultPort("WATTFLOW_KAFKA_PORT") + "->19092");
        expected.put("flink-jobmanager", "127.0.0.1:" + defaultPort("WATTFLOW_FLINK_PORT") + "->8081");
        expected.put("nginx", "127.0.0.1:" + defaultPort("WATTFLOW_API_PORT") + "->80");
        expected.put("prometheus", "127.0.0.1:" + defaultPort("WATTFLOW_PROMETHEUS_PORT") + "->9090");
        expected.put("alertmanager", "127.0.0.1:" + defaultPort("WATTFLOW_ALERTMANAGER_PORT") + "->9093");
        expected.put("grafana", "127.0.0.1:3000->3000");
        Map<String, String> actual = new TreeMap<>();
        // docker-compose config writes each as HOST_IP:PUBLISHED:TARGET/PROTOCOL
        compose.path("services").fields().forEachRemaining(entry -> entry.getValue().path("ports").forEach(port -> {
            String[] parts = port.asText().replaceFirst("/tcp$", "").split(":");
            actual.merge(entry.getKey(), parts.length == 3 ? parts[0] + ":" + parts[1] + "->" + parts[2] : port.asText(),
                    (a, b) -> a + "," + b);
        }));
        expect(actual.equals(new TreeMap<>(expected)), "published ports " + actual + " should be " + new TreeMap<>(expected));
    }

    private void apiEnvironment(String nginxConf, String prometheusConf) {
        JsonNode api = service("billing-api");
        Map<String, String> env = new TreeMap<>();
        api.path("environment").fields().forEachRemaining(entry -> env.put(entry.getKey(), entry.getValue().asText()));
        for (String variable : env.keySet()) {
            expect(ApiConfig.VARIABLES.contains(variable), "billing-api sets " + variable + ", which ApiConfig does not read");
        }
        String port = env.getOrDefault("WATTFLOW_API_PORT", "?");
        expect(nginxConf.contains("server billing-api:" + port + " "), "nginx.conf's upstream is not billing-api:" + port);
        expect(prometheusConf.contains("names: ['billing-api'], type: A, port: " + port + "}"),
                "Prometheus does not scrape billing-api on its port " + port);
        String nginxAddress = service("nginx").path("networks").path("default").path("ipv4_address").asText();
        expect(!nginxAddress.isEmpty() && env.getOrDefault("WATTFLOW_TRUSTED_PROXIES", "").equals(nginxAddress),
                "WATTFLOW_TRUSTED_PROXIES should be nginx's address " + nginxAddress);
        expect(PostgresServer.API_ROLE.equals(env.get("WATTFLOW_DB_USER")), "the API should log in as " + PostgresServer.API_ROLE);
        expect(api.path("deploy").path("replicas").asInt() >= 2, "billing-api should run at least two replicas behind NGINX");
    }

    private static String[] arguments(JsonNode command) {
        List<String> args = new ArrayList<>();
        command.forEach(arg -> args.add(arg.asText()));
        return args.toArray(String[]::new);
    }

    private void jobArguments() {
        JsonNode submitter = service("job-submitter");
        try {
            PipelineConfig config = PipelineConfig.fromArgs(arguments(submitter.path("command")));
            expect(config.get(PipelineConfig.JOB_NAME).equals(LocalStack.JOB_NAME), "the job's name should be " + LocalStack.JOB_NAME);
            expect(config.get(PipelineConfig.POSTGRES_USER).equals(PostgresServer.PIPELINE_ROLE),
                    "the job should log in as " + PostgresServer.PIPELINE_ROLE);
            expect(config.get(PipelineConfig.INFLUX_URL).equals("http://influxdb:8086"), "the job should write to the influxdb service");
            for (PipelineConfig.Option file : List.of(PipelineConfig.POSTGRES_PASSWORD_FILE, PipelineConfig.INFLUX_TOKEN_FILE)) {
                secretOf("job-submitter", config.get(file));
            }
        } catch (IllegalArgumentException e) {
            problems.add("job-submitter's arguments are refused by the job: " + e.getMessage());
        }
    }

    private void loadGeneratorArguments() {
        try {
            LoadGenerator.parse(arguments(service("loadgen").path("command")), Instant.now());
        } catch (IllegalArgumentException e) {
            problems.add("loadgen's arguments are refused by the load generator: " + e.getMessage());
        }
    }

    /** kafka-init creates each of the stack's topics with its partitions and configuration, and no other. */
    private void topics() {
        String script = service("kafka-init").path("command").get(0).asText();
        Map<String, String> created = new TreeMap<>();
        Matcher spec = Pattern.compile("\"(\\S+) (\\d+) (\\S+)\"").matcher(script);
        while (spec.find()) {
            created.put(spec.group(1), spec.group(2) + " " + new TreeMap<>(configs(spec.group(3))));
        }
        Map<String, String> expected = new TreeMap<>();
        for (KafkaBroker.TopicSpec topic : KafkaBroker.wattflowTopics()) {
            expected.put(topic.name(), topic.partitions() + " " + new TreeMap<>(topic.configs()));
        }
        expect(created.equals(expected), "kafka-init creates " + created + " but the stack's topics are " + expected);
    }

    private static Map<String, String> configs(String text) {
        Map<String, String> configs = new TreeMap<>();
        for (String pair : text.split(",")) {
            configs.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        return configs;
    }

    /** A /run/secrets/NAME path is a secret the service is given. */
    private void secretOf(String serviceName, String path) {
        String name = path.replaceFirst("^/run/secrets/", "");
        Set<String> given = new HashSet<>();
        service(serviceName).path("secrets").forEach(secret -> given.add(secret.has("source") ? secret.get("source").asText() : secret.asText()));
        expect(path.startsWith("/run/secrets/") && given.contains(name), serviceName + " reads " + path + " but is not given that secret");
    }

    private void mountsAndSecrets() throws Exception {
        compose.path("services").fields().forEachRemaining(entry -> {
            for (JsonNode volume : entry.getValue().path("volumes")) {
                String mount = volume.asText(); // SOURCE:TARGET:MODE; a bind mount's source is an absolute path
                if (!mount.startsWith("/")) {
                    continue;
                }
                Path source = Path.of(mount.substring(0, mount.indexOf(':')));
                if (source.startsWith(repo.resolve("stack/dist-kafka/target"))) {
                    // built by ./mvnw package, as the file's header says; the local stack uses the same file
                    expect(source.endsWith("agent/jmx_prometheus_javaagent.jar"), entry.getKey() + " mounts " + source
                            + ", which the build does not make");
                } else if (source.startsWith(repo)) {
                    expect(Files.exists(source), entry.getKey() + " mounts " + source + ", which does not exist");
                }
            }
            entry.getValue().path("environment").fields().forEachRemaining(variable -> {
                if (variable.getValue().asText().startsWith("/run/secrets/")) {
                    secretOf(entry.getKey(), variable.getValue().asText());
                }
            });
        });
        String makeSecrets = Files.readString(repo.resolve("deploy/compose/make-secrets.sh"));
        compose.path("secrets").fields().forEachRemaining(secret -> {
            Path file = Path.of(secret.getValue().path("file").asText());
            boolean generated = Pattern.compile("(?<![\\w-])" + Pattern.quote(secret.getKey()) + "(?![\\w-])").matcher(makeSecrets).find();
            expect(file.startsWith(repo.resolve("deploy/compose/secrets")) && generated,
                    "secret " + secret.getKey() + " is not one make-secrets.sh generates into deploy/compose/secrets/");
        });
    }

    private void postgresRoles() throws Exception {
        String init = Files.readString(repo.resolve("deploy/compose/postgres-init.sh"));
        for (String role : List.of(PostgresServer.PIPELINE_ROLE, PostgresServer.API_ROLE, PostgresServer.MONITOR_ROLE)) {
            expect(init.contains("CREATE ROLE " + role + " LOGIN"), "postgres-init.sh does not give " + role + " a login");
        }
        expect(service("postgres-exporter").path("environment").path("DATA_SOURCE_USER").asText().equals(PostgresServer.MONITOR_ROLE),
                "the PostgreSQL exporter should log in as " + PostgresServer.MONITOR_ROLE);
    }
}
