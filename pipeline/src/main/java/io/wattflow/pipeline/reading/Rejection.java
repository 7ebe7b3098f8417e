package io.wattflow.pipeline.reading;

/** A record the pipeline will not count, with its reason; goes to the dead-letter topic with its original bytes. */
public class Rejection {
    public RawReading source;
    public RejectionReason reason;
    public String detail;

    public Rejection() {
    }

    /** Details are cut to this many characters: a header of the dead letter, never a copy of the record. */
    public static final int MAX_DETAIL_LENGTH = 500;

    public Rejection(RawReading source, RejectionReason reason, String detail) {
        this.source = source;
        this.reason = reason;
        this.detail = detail == null || detail.length() <= MAX_DETAIL_LENGTH ? detail : detail.substring(0, MAX_DETAIL_LENGTH) + "...";
    }

    /** The detail of an {@code unprocessable} record: the exception's class, then its message. */
    public static String describe(Throwable failure) {
        return failure.getMessage() == null ? failure.getClass().getName() : failure.getClass().getName() + ": " + failure.getMessage();
    }

    @Override
    public String toString() {
        return reason.code() + " (" + detail + ") at " + source;
    }
}
