package io.wattflow.pipeline.usage;

import java.util.Objects;

/** Map-state key of a register value within one meter's state: channel and timestamp. */
public class RegisterKey {
    public String channel;
    public long timestampMillis;

    public RegisterKey() {
    }

    public RegisterKey(String channel, long timestampMillis) {
        this.channel = channel;
        this.timestampMillis = timestampMillis;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RegisterKey that && timestampMillis == that.timestampMillis && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(channel, timestampMillis);
    }
}
