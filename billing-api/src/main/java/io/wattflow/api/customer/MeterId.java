package io.wattflow.api.customer;

import io.wattflow.api.problem.ApiProblem;
import java.util.regex.Pattern;

/** A meter's id as the pipeline accepts it: checked once at the edge, so services and SQL only see valid ones. */
public record MeterId(String value) {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

    public MeterId {
        if (value == null || !VALID.matcher(value).matches()) {
            throw ApiProblem.invalidParameter("meterId must be 1-64 letters, digits or . _ : -");
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
