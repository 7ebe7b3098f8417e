package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.MeterReading;
import io.wattflow.pipeline.reading.RejectionReason;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The register rules of {@link MeterAccounting}: where a value goes in its channel's chain, and what that bills. */
final class RegisterChain implements Serializable {
    private static final long serialVersionUID = 1L;

    private final UsageRules rules;

    RegisterChain(UsageRules rules) {
        this.rules = rules;
    }

    /** A register value of one channel at an instant. */
    private record RegisterPoint(long timestampMillis, long value) {
    }

    /**
     * A register value's changes, added to {@code changes}. The chain of the channel's values around it changes: it goes in between its
     * neighbours, and the spans of the new chain replace those of the old (a late value between two known ones takes
     * their span back and adds the spans to and from it). False for a resend. Refuses a value beyond the register's
     * size or one the meter cannot have measured: an advance faster than the meter's maximum power, or a value
     * outside the range of two neighbours the meter advanced between. Such a value never becomes a neighbour itself,
     * so one glitch above two plausible values bills neither the way there nor back.
     *
     * <p>A glitch below them cannot be told from a reset until the value after it: when that value lies at least as
     * high as the one before the drop, the meter could not have climbed to it from the drop, yet could have advanced
     * to it from the value before, the drop was a glitch. The dropped value leaves the chain, and with it the reset
     * (or rollover) it had billed; the value after it is accepted, not refused as an implausible advance (which would
     * refuse every later value too, until enough time had passed). A reset the meter could plausibly have climbed
     * back from stays a reset.
     */
    boolean changes(MeterReading reading, MeterView meter, MeterAccounting.Changes changes) throws Exception {
        long value = reading.energyMilliWattHours;
        long capacity = rules.registerCapacity(reading.meterId);
        if (capacity > 0 && value >= capacity) {
            throw new MeterAccounting.Refusal(RejectionReason.REGISTER_OUT_OF_RANGE, "the register of this meter class counts below "
                    + capacity + " mWh, got " + value);
        }
        Long existing = meter.registerValue(new RegisterKey(reading.channel, reading.startMillis));
        if (existing != null) {
            if (existing == value) {
                return false;
            }
            throw new MeterAccounting.Refusal(RejectionReason.CONFLICTING_DUPLICATE, "a register value was already accepted for this instant");
        }
        // the two nearest known instants before it ([0] nearest, [1] the one before that) and the nearest after it
        long[] before = {Long.MIN_VALUE, Long.MIN_VALUE};
        long after = Long.MAX_VALUE;
        for (RegisterKey known : meter.registerKeys()) {
            long t = known.timestampMillis;
            if (!known.channel.equals(reading.channel)) {
                continue;
            }
            if (t < reading.startMillis) {
                if (t > before[0]) {
                    before[1] = before[0];
                    before[0] = t;
                } else if (t > before[1]) {
                    before[1] = t;
                }
            } else if (t > reading.startMillis && t < after) {
                after = t;
            }
        }
        RegisterPoint b1 = point(meter, reading.channel, before[0]);
        RegisterPoint b0 = point(meter, reading.channel, before[1]);
        RegisterPoint a1 = point(meter, reading.channel, after);
        RegisterPoint self = new RegisterPoint(reading.startMillis, value);
        if (b1 != null && a1 != null && b1.value <= a1.value && (value < b1.value || value > a1.value)) {
            throw new MeterAccounting.Refusal(RejectionReason.IMPLAUSIBLE_REGISTER, "the register advanced from " + b1.value + " to "
                    + a1.value + " mWh around this instant; " + value + " lies outside");
        }
        boolean b1Glitch = b0 != null && b1.value < b0.value && value >= b0.value && !plausibleAdvance(reading.meterId, b1, self)
                && self.timestampMillis - b0.timestampMillis <= rules.maxRegisterSpan().toMillis() && plausibleAdvance(reading.meterId, b0, self);

        List<RegisterPoint> oldChain = new ArrayList<>(3);
        List<RegisterPoint> newChain = new ArrayList<>(4);
        for (RegisterPoint known : new RegisterPoint[] {b0, b1, self, a1}) {
            if (known == null) {
                continue;
            }
            if (known != self) {
                oldChain.add(known);
            }
            if (known == b1 && b1Glitch) {
                changes.glitches.add(new RegisterKey(reading.channel, known.timestampMillis));
            } else {
                newChain.add(known);
            }
        }
        int at = newChain.indexOf(self);
        if (at > 0) {
            checkAdvance(reading.meterId, newChain.get(at - 1), self);
        }
        if (at < newChain.size() - 1) {
            checkAdvance(reading.meterId, self, newChain.get(at + 1));
        }
        List<RegisterPoint[]> taken = spans(oldChain);
        List<RegisterPoint[]> added = spans(newChain);
        taken.removeIf(span -> added.removeIf(other -> other[0] == span[0] && other[1] == span[1]));
        for (RegisterPoint[] span : taken) {
            addSpan(changes, reading.meterId, reading.channel, span[0], span[1], capacity, -1);
        }
        for (RegisterPoint[] span : added) {
            addSpan(changes, reading.meterId, reading.channel, span[0], span[1], capacity, +1);
        }
        return true;
    }

    private static RegisterPoint point(MeterView meter, String channel, long timestampMillis) throws Exception {
        if (timestampMillis == Long.MIN_VALUE || timestampMillis == Long.MAX_VALUE) {
            return null;
        }
        return new RegisterPoint(timestampMillis, meter.registerValue(new RegisterKey(channel, timestampMillis)));
    }

    private static List<RegisterPoint[]> spans(List<RegisterPoint> chain) {
        List<RegisterPoint[]> spans = new ArrayList<>(chain.size());
        for (int i = 1; i < chain.size(); i++) {
            spans.add(new RegisterPoint[] {chain.get(i - 1), chain.get(i)});
        }
        return spans;
    }

    private boolean plausibleAdvance(String meterId, RegisterPoint from, RegisterPoint to) {
        long span = to.timestampMillis - from.timestampMillis;
        return to.value <= from.value || span > rules.maxRegisterSpan().toMillis()
                || to.value - from.value <= rules.maxEnergy(meterId, span);
    }

    /** Refuses an advance faster than the meter's maximum power; drops (resets, rollovers) are judged by {@link RegisterSpan}. */
    private void checkAdvance(String meterId, RegisterPoint from, RegisterPoint to) throws MeterAccounting.Refusal {
        if (!plausibleAdvance(meterId, from, to)) {
            throw new MeterAccounting.Refusal(RejectionReason.IMPLAUSIBLE_REGISTER, "an advance of " + (to.value - from.value) + " mWh in "
                    + Duration.ofMillis(to.timestampMillis - from.timestampMillis) + " means more than the meter's "
                    + rules.maxPower(meterId) + " kW");
        }
    }

    private void addSpan(MeterAccounting.Changes changes, String meterId, String channel, RegisterPoint start, RegisterPoint end, long capacity, int sign) {
        long from = start.timestampMillis;
        long to = end.timestampMillis;
        if (to - from > rules.maxRegisterSpan().toMillis()) {
            // Longer than any bill should spread: not billed, the later value is a new baseline (and no record can make
            // the job split a span into more buckets than this)
            if (sign > 0) {
                changes.gapsNotBilled++;
            }
            return;
        }
        RegisterSpan span = RegisterSpan.between(start.value, end.value, capacity, rules.maxEnergy(meterId, to - from));
        if (sign > 0 && span.kind() == RegisterSpan.Kind.RESET) {
            changes.resets++;
        } else if (sign > 0 && span.kind() == RegisterSpan.Kind.ROLLOVER) {
            changes.rollovers++;
        }
        for (ProRataSplit.Part part : ProRataSplit.split(from, to, span.energyMilliWattHours())) {
            changes.add(new BucketKey(channel, part.bucketStartMillis()), sign * part.energyMilliWattHours(), sign);
        }
    }
}
