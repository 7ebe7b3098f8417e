package io.wattflow.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.wattflow.client.api.CustomersApi;
import io.wattflow.client.api.InvoicingApi;
import io.wattflow.client.api.QualityApi;
import io.wattflow.client.api.ReportsApi;
import io.wattflow.client.api.ServiceApi;
import io.wattflow.client.api.TariffsApi;
import io.wattflow.client.api.TokensApi;
import io.wattflow.client.api.UsageApi;
import io.wattflow.client.invoker.ApiClient;
import io.wattflow.client.invoker.ApiException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * The billing API's Java client: the operations generated from its OpenAPI document ({@link #customers()},
 * {@link #usage()}, {@link #invoicing()}, ...), plus what generated code does not do. It sends the bearer token,
 * retries an answer 503 after the server's {@code Retry-After} (exponential backoff when it sends none), and turns a
 * problem+json answer into a {@link WattflowProblem}. Every call goes through {@link #call}:
 *
 * <pre>{@code
 * WattflowClient wattflow = WattflowClient.builder(URI.create("http://127.0.0.1:18080")).token(token).build();
 * Customer customer = wattflow.call(() -> wattflow.customers().createCustomer(
 *         new CreateCustomer().id("C-1").name("Ada").timezone("Europe/Berlin").tariffId("standard"),
 *         WattflowClient.newIdempotencyKey()));
 * }</pre>
 *
 * A call is retried as it was written: give writes an {@code Idempotency-Key} (created once, outside the lambda),
 * so a retry after a lost answer returns the first answer instead of writing twice.
 */
public final class WattflowClient {
    private final ApiClient api;
    private final Retry retry;
    private final ServiceApi service;
    private final UsageApi usage;
    private final CustomersApi customers;
    private final TariffsApi tariffs;
    private final InvoicingApi invoicing;
    private final ReportsApi reports;
    private final QualityApi quality;
    private final TokensApi tokens;

    private WattflowClient(Builder builder) {
        ObjectMapper json = ApiClient.createDefaultObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, builder.rejectUndocumentedFields);
        this.api = new ApiClient(HttpClient.newBuilder().connectTimeout(builder.connectTimeout), json, builder.baseUri.toString());
        api.setReadTimeout(builder.readTimeout);
        if (builder.token != null) {
            String header = "Bearer " + builder.token;
            api.setRequestInterceptor(request -> request.header("Authorization", header));
        }
        Duration maxWait = builder.maxRetryWait;
        IntervalBiFunction<Object> wait = (attempt, outcome) -> outcome.isLeft() && outcome.getLeft() instanceof ApiException e
                ? RetryAfter.delayMillis(e.getResponseHeaders(), attempt, maxWait) : 0L;
        RetryConfig config = RetryConfig.<Object>custom()
                .maxAttempts(builder.maxAttempts)
                .retryOnException(WattflowClient::isUnavailable)
                .intervalBiFunction(wait)
                .build();
        this.retry = Retry.of("wattflow-client", config);
        this.service = new ServiceApi(api);
        this.usage = new UsageApi(api);
        this.customers = new CustomersApi(api);
        this.tariffs = new TariffsApi(api);
        this.invoicing = new InvoicingApi(api);
        this.reports = new ReportsApi(api);
        this.quality = new QualityApi(api);
        this.tokens = new TokensApi(api);
    }

    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /** A fresh key for a write that may be retried; send the same key with every attempt of one write. */
    public static String newIdempotencyKey() {
        return UUID.randomUUID().toString();
    }

    /** One call of the generated API, retried while the server answers 503; a problem answer as {@link WattflowProblem}. */
    public <T> T call(Call<T> call) {
        try {
            return retry.executeCallable(call::run);
        } catch (ApiException e) {
            throw WattflowProblem.of(e, api.getObjectMapper());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public ServiceApi service() {
        return service;
    }

    public UsageApi usage() {
        return usage;
    }

    public CustomersApi customers() {
        return customers;
    }

    public TariffsApi tariffs() {
        return tariffs;
    }

    public InvoicingApi invoicing() {
        return invoicing;
    }

    public ReportsApi reports() {
        return reports;
    }

    public QualityApi quality() {
        return quality;
    }

    public TokensApi tokens() {
        return tokens;
    }

    private static boolean isUnavailable(Throwable failure) {
        return failure instanceof ApiException e && e.getCode() == 503;
    }

    /** A call of the generated API. */
    @FunctionalInterface
    public interface Call<T> {
        T run() throws ApiException;
    }

    public static final class Builder {
        private final URI baseUri;
        private String token;
        private int maxAttempts = 4;
        private Duration maxRetryWait = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(60);
        private boolean rejectUndocumentedFields;

        private Builder(URI baseUri) {
            this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
        }

        /** The bearer token ({@code bin/wattflow env} prints an admin token of the local stack). */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** Attempts per call while the server answers 503, the first included (default 4; 1: no retries). */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1; got " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** The longest wait before a retry, whatever Retry-After says (default 30 s). */
        public Builder maxRetryWait(Duration maxRetryWait) {
            this.maxRetryWait = maxRetryWait;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder readTimeout(Duration readTimeout) {
            this.readTimeout = readTimeout;
            return this;
        }

        /**
         * Fail on a field the document does not declare (default: ignore it, so an older client reads a newer
         * server). The project's own tests turn this on: the server may not answer what its document does not say.
         */
        public Builder rejectUndocumentedFields(boolean reject) {
            this.rejectUndocumentedFields = reject;
            return this;
        }

        public WattflowClient build() {
            return new WattflowClient(this);
        }
    }
}
