package io.wattflow.pipeline.reading;

/** Why a record went to the dead-letter topic. The codes are stable: consumers and alerts match on them. */
public enum RejectionReason {
    MALFORMED_JSON("malformed_json"),
    MISSING_FIELD("missing_field"),
    MISTYPED_FIELD("mistyped_field"),
    UNKNOWN_KIND("unknown_kind"),
    UNKNOWN_CHANNEL("unknown_channel"),
    INVALID_METER_ID("invalid_meter_id"),
    NEGATIVE_ENERGY("negative_energy"),
    TOO_PRECISE("too_precise"),
    IMPLAUSIBLE_ENERGY("implausible_energy"),
    NON_POSITIVE_INTERVAL("non_positive_interval"),
    INTERVAL_TOO_LONG("interval_too_long"),
    MISALIGNED_INTERVAL("misaligned_interval"),
    FUTURE_TIMESTAMP("future_timestamp"),
    TOO_LATE("too_late"),
    CONFLICTING_DUPLICATE("conflicting_duplicate"),
    OVERLAP("overlap"),
    KIND_CONFLICT("kind_conflict");

    private final String code;

    RejectionReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
