package io.wattflow.pipeline.reading;

/** A record the pipeline will not count, with its reason; goes to the dead-letter topic with its original bytes. */
public class Rejection {
    public RawReading source;
    public String reason;
    public String detail;

    public Rejection() {
    }

    public Rejection(RawReading source, RejectionReason reason, String detail) {
        this.source = source;
        this.reason = reason.code();
        this.detail = detail;
    }

    @Override
    public String toString() {
        return reason + " (" + detail + ") at " + source;
    }
}
