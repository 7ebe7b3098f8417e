package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.ReadingKind;
import io.wattflow.pipeline.reading.RejectionReason;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rules of one meter's accounting, on its state as it stands: recognises resends, conflicts and overlaps, turns
 * interval readings and register spans into energy per 15-minute bucket, and checks that every total stays whole.
 * Reads the state, never changes it: {@link MeterUsageOperator} applies the verdict.
 */
public final class MeterAccounting implements Serializable {
    private static final long serialVersionUID = 1L;

    private final UsageRules rules;
    private final RegisterChain registerChain;

    public MeterAccounting(UsageRules rules) {
        this.rules = rules;
        this.registerChain = new RegisterChain(rules);
    }

    public UsageRules rules() {
        return rules;
    }

    /**
     * @param clock     the largest record timestamp the meter has seen, this reading's included
     * @param watermark the stream's time: no reading ending before it is accepted (the meter may be forgotten)
     */
    Verdict judge(MeterReading reading, long clock, long watermark, MeterView meter) throws Exception {
        try {
            if (isResend(reading, clock, watermark, meter)) {
                return new Verdict.Duplicate();
            }
            Changes changes = new Changes();
            if (reading.kind == ReadingKind.INTERVAL) {
                if (!interval(reading, meter, changes)) {
                    return new Verdict.Duplicate();
                }
            } else if (!registerChain.changes(reading, meter, changes)) {
                return new Verdict.Duplicate();
            }
            List<BucketChange> checked = checkTotals(changes, meter);
            return new Verdict.Accepted(checked, changes.glitches, changes.resets, changes.rollovers, changes.gapsNotBilled);
        } catch (Refusal refusal) {
            return new Verdict.Refused(refusal.reason, refusal.getMessage());
        }
    }

    /** True for a resend under the same readingId; refuses a reading the meter's state rules out. */
    private boolean isResend(MeterReading reading, long clock, long watermark, MeterView meter) throws Exception {
        if (reading.endMillis < clock - rules.latenessHorizon().toMillis()) {
            // The parser checked the reading against its own record timestamp; this meter has seen later ones.
            throw new Refusal(RejectionReason.TOO_LATE, "the reading lies more than the lateness horizon before the meter's latest record");
        }
        if (reading.endMillis < watermark) {
            // The state it could be a resend of, or overlap, may be forgotten already
            throw new Refusal(RejectionReason.TOO_LATE, "the reading ends before the watermark " + Instant.ofEpochMilli(watermark)
                    + " (every partition's newest record less the lateness horizon)");
        }
        ReadingKind established = meter.channelKind(reading.channel);
        if (established != null && established != reading.kind) {
            throw new Refusal(RejectionReason.KIND_CONFLICT, "channel " + reading.channel + " of this meter reports "
                    + established.name().toLowerCase(Locale.ROOT) + " readings");
        }
        AcceptedReading previous = meter.acceptedReading(reading.readingId);
        if (previous == null) {
            return false;
        }
        if (previous.sameAs(reading)) {
            return true;
        }
        throw new Refusal(RejectionReason.CONFLICTING_DUPLICATE, "readingId " + reading.readingId + " was already accepted with another measurement");
    }

    /**
     * An interval reading's energy, split over its buckets; false when the same interval was already accepted with
     * the same energy under another id; refused for a conflict or an overlap.
     */
    private boolean interval(MeterReading reading, MeterView meter, Changes changes) throws Exception {
        long length = reading.endMillis - reading.startMillis;
        if (reading.energyMilliWattHours > rules.maxEnergy(reading.meterId, length)) {
            // the parser bounded it by --max-average-kw; the meter's class may draw less
            throw new Refusal(RejectionReason.IMPLAUSIBLE_ENERGY, "energy means more than the meter's " + rules.maxPower(reading.meterId)
                    + " kW on average over the interval");
        }
        List<ProRataSplit.Part> parts = ProRataSplit.split(reading.startMillis, reading.endMillis, reading.energyMilliWattHours);
        for (ProRataSplit.Part part : parts) {
            BucketTotal total = meter.bucket(new BucketKey(reading.channel, part.bucketStartMillis()));
            if (total == null) {
                continue;
            }
            for (int i = 0; i < total.intervalStarts.length; i++) {
                long start = total.intervalStarts[i];
                long end = total.intervalEnds[i];
                if (start == reading.startMillis && end == reading.endMillis) {
                    if (total.intervalEnergies[i] == reading.energyMilliWattHours) {
                        return false;
                    }
                    throw new Refusal(RejectionReason.CONFLICTING_DUPLICATE, "the interval was already accepted with another energy");
                }
                if (start < reading.endMillis && reading.startMillis < end) {
                    throw new Refusal(RejectionReason.OVERLAP, "the interval overlaps an accepted one [" + Instant.ofEpochMilli(start)
                            + ", " + Instant.ofEpochMilli(end) + ")");
                }
            }
        }
        for (ProRataSplit.Part part : parts) {
            changes.add(new BucketKey(reading.channel, part.bucketStartMillis()), part.energyMilliWattHours(), 1);
        }
        return true;
    }

    /**
     * The changes in the order they were made, once it is sure that every total they lead to is summed exactly and
     * stays whole (an overflow throws here, before anything changed).
     */
    private static List<BucketChange> checkTotals(Changes changes, MeterView meter) throws Exception {
        List<BucketChange> checked = new ArrayList<>(changes.byBucket.size());
        for (Map.Entry<BucketKey, long[]> change : changes.byBucket.entrySet()) {
            BucketTotal total = meter.bucket(change.getKey());
            long energy = Math.addExact(total == null ? 0 : total.energyMilliWattHours, change.getValue()[0]);
            long count = Math.addExact(total == null ? 0 : total.readingCount, change.getValue()[1]);
            if (energy < 0 || count < 0 || count > Integer.MAX_VALUE) {
                throw new IllegalStateException("bucket " + change.getKey().bucketStartMillis + " of channel " + change.getKey().channel
                        + " would hold " + energy + " mWh from " + count + " readings");
            }
            checked.add(new BucketChange(change.getKey(), change.getValue()[0], (int) change.getValue()[1]));
        }
        return checked;
    }

    /** The changes a reading makes, summed per bucket while they are worked out. */
    static final class Changes {
        final Map<BucketKey, long[]> byBucket = new LinkedHashMap<>();
        final List<RegisterKey> glitches = new ArrayList<>(0);
        int resets;
        int rollovers;
        int gapsNotBilled;

        void add(BucketKey key, long energy, int readings) {
            long[] sum = byBucket.computeIfAbsent(key, k -> new long[2]);
            sum[0] += energy;
            sum[1] += readings;
        }
    }

    /** A reading the meter's state refuses. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final RejectionReason reason;

        Refusal(RejectionReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }
}
