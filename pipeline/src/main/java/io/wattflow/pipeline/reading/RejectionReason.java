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
    KIND_CONFLICT("kind_conflict"),
    /** A number with more digits or a larger exponent than any energy value can have. */
    NUMBER_OUT_OF_RANGE("number_out_of_range"),
    /** An instant before 1970 or from 2100 on (also those beyond epoch milliseconds). */
    TIME_OUT_OF_RANGE("time_out_of_range"),
    /** The Kafka record timestamp lies before 1970 or from 2100 on. */
    RECORD_TIMESTAMP_OUT_OF_RANGE("record_timestamp_out_of_range"),
    /** A register value at or above its register's size (the meter class's capacity, else 10^12 kWh). */
    REGISTER_OUT_OF_RANGE("register_out_of_range"),
    /** A register value that implies more power than the meter can draw, or leaves the range of its neighbours. */
    IMPLAUSIBLE_REGISTER("implausible_register"),
    /** Our code failed on the record: a bug that costs this one record, never the job. Exception class in the detail. */
    UNPROCESSABLE("unprocessable");

    private final String code;

    RejectionReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
