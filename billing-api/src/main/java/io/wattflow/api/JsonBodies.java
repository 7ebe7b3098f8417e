package io.wattflow.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.http.Context;
import io.wattflow.api.problem.ApiProblem;

/** Reads request bodies strictly: malformed JSON, unknown fields and wrong types are a 400 that names the problem. */
public final class JsonBodies {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonBodies() {
    }

    public static <T> T read(Context ctx, Class<T> type) {
        String body = ctx.body();
        if (body.isBlank()) {
            throw ApiProblem.invalidParameter("the request needs a JSON body");
        }
        try {
            return MAPPER.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiProblem.invalidParameter("unknown field '" + e.getPropertyName() + "'; allowed: " + e.getKnownPropertyIds());
        } catch (JsonProcessingException e) {
            throw ApiProblem.invalidParameter("the body is not valid JSON for this request: " + e.getOriginalMessage());
        }
    }
}
