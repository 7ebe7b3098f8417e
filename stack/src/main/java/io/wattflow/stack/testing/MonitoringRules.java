package io.wattflow.stack.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Prometheus rules of {@code deploy/prometheus/rules/} and the Grafana dashboards of {@code deploy/grafana/dashboards/},
 * read for tests: the alerts with their labels and annotations, and every metric the rules and panels name, so a test can
 * ask a live Prometheus whether each one exists.
 */
public final class MonitoringRules {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan",
            // aggregation operators, which may stand before "by (...)" rather than their parenthesis
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?!\\w)(\\s*\\()?");

    /** One rule: an alert (name, labels, annotations) or a recording rule ({@code alert} null). */
    public record Rule(String alert, String record, String expr, JsonNode labels, JsonNode annotations) {
    }

    private MonitoringRules() {
    }

    public static Path rulesDir(Path repo) {
        return repo.resolve("deploy/prometheus/rules");
    }

    public static List<Rule> read(Path repo) {
        List<Rule> rules = new ArrayList<>();
        try (Stream<Path> files = Files.list(rulesDir(repo))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml")).sorted().toList()) {
                for (JsonNode group : YAML.readTree(file.toFile()).get("groups")) {
                    for (JsonNode rule : group.get("rules")) {
                        rules.add(new Rule(text(rule, "alert"), text(rule, "record"), rule.get("expr").asText(),
                                rule.path("labels"), rule.path("annotations")));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rules;
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    /** The metric names an expression selects (functions, keywords, label names and strings left out). */
    public static Set<String> metricsOf(String expr) {
        String bare = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "$1");
        Set<String> names = new TreeSet<>();
        Matcher matcher = IDENTIFIER.matcher(bare);
        while (matcher.find()) {
            boolean function = matcher.group(2) != null;
            if (!function && !KEYWORDS.contains(matcher.group(1).toLowerCase())) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    /** Every metric the rules read, recording rules' own outputs excluded (Prometheus makes those). */
    public static Set<String> metricsRead(List<Rule> rules) {
        Set<String> read = new TreeSet<>();
        rules.forEach(rule -> read.addAll(metricsOf(rule.expr())));
        read.removeAll(recorded(rules));
        return read;
    }

    /** The series the recording rules make. */
    public static Set<String> recorded(List<Rule> rules) {
        Set<String> recorded = new TreeSet<>();
        rules.stream().filter(rule -> rule.record() != null).forEach(rule -> recorded.add(rule.record()));
        return recorded;
    }

    /** The queries of every panel of deploy/grafana/dashboards/, as {@code dashboard: expr}. */
    public static List<String> dashboardQueries(Path repo) {
        List<String> queries = new ArrayList<>();
        try (Stream<Path> files = Files.list(repo.resolve("deploy/grafana/dashboards"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                for (JsonNode panel : JSON.readTree(file.toFile()).path("panels")) {
                    for (JsonNode target : panel.path("targets")) {
                        queries.add(file.getFileName() + ": " + target.get("expr").asText());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return queries;
    }

    /** Every metric the dashboards query, the rules' recorded series excluded. */
    public static Set<String> dashboardMetrics(Path repo) {
        Set<String> read = new TreeSet<>();
        dashboardQueries(repo).forEach(query -> read.addAll(metricsOf(query.substring(query.indexOf(": ") + 2))));
        read.removeAll(recorded(read(repo)));
        return read;
    }
}
