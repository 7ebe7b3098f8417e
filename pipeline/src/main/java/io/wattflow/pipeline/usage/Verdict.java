package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.RejectionReason;
import java.util.List;

/** What {@link MeterAccounting} makes of a reading, judged against its meter's state. */
public sealed interface Verdict {

    /**
     * Counted: the changes to its meter's buckets (checked to keep every total whole), the register values it shows
     * to have been glitches, and what its register spans were.
     */
    record Accepted(List<BucketChange> changes, List<RegisterKey> glitches, int resets, int rollovers, int gapsNotBilled)
            implements Verdict {
    }

    /** A resend of what the meter has already counted: counted once. */
    record Duplicate() implements Verdict {
    }

    /** Refused by the meter's state; goes to the dead-letter topic. */
    record Refused(RejectionReason reason, String detail) implements Verdict {
    }
}
