package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ApiConfigTest {
    private static final Pattern VARIABLE = Pattern.compile("WATTFLOW_[A-Z_]+");

    @Test
    void everyVariableTheServiceReadsIsListedAndDocumented() throws IOException {
        TreeSet<String> read = new TreeSet<>();
        for (String source : new String[] {"ApiConfig.java", "BillingApiMain.java"}) {
            String code = Files.readString(Path.of("src/main/java/io/wattflow/api", source));
            Matcher variable = VARIABLE.matcher(code);
            while (variable.find()) {
                read.add(variable.group());
            }
        }
        TreeSet<String> documented = new TreeSet<>();
        String docs = Files.readString(Path.of("../docs/billing-api.md"));
        String settings = docs.substring(docs.indexOf("## Settings"), docs.indexOf("\n## ", docs.indexOf("## Settings") + 1));
        Matcher row = Pattern.compile("(?m)^\\| `(WATTFLOW_[A-Z_]+)`").matcher(settings);
        while (row.find()) {
            documented.add(row.group(1));
        }

        assertThat(read).containsExactlyInAnyOrderElementsOf(ApiConfig.VARIABLES);
        assertThat(documented).containsExactlyInAnyOrderElementsOf(ApiConfig.VARIABLES);
    }

    @Test
    void theServiceSettingsComeFromTheEnvironment() {
        ApiConfig config = ApiConfig.fromEnvironment(Map.of("WATTFLOW_INSTANCE_ID", "api-2", "WATTFLOW_BILLING_RUN_THREADS", "2",
                "WATTFLOW_BILLING_COMPLETENESS_THRESHOLD", "0.75", "WATTFLOW_KAFKA_BOOTSTRAP", "kafka:9092", "WATTFLOW_API_RATE_LIMIT", "50",
                "WATTFLOW_BOOTSTRAP_ADMIN_TOKEN_FILE", "/run/secrets/admin"));

        assertThat(config.service()).isEqualTo(new ApiConfig.Service("api-2", 2, new BigDecimal("0.75"), "kafka:9092", 50, "/run/secrets/admin"));
        assertThat(ApiConfig.fromEnvironment(Map.of()).service()).isEqualTo(ApiConfig.Service.DEFAULTS);
    }

    @Test
    void aThresholdOutsideZeroToOneIsRefusedByName() {
        assertThatThrownBy(() -> ApiConfig.fromEnvironment(Map.of("WATTFLOW_BILLING_COMPLETENESS_THRESHOLD", "90")))
                .hasMessage("WATTFLOW_BILLING_COMPLETENESS_THRESHOLD must be a decimal from 0 to 1, got '90'");
    }
}
