package io.wattflow.pipeline.usage;

import java.util.Objects;

/** Map-state key of a bucket within one meter's state: channel and bucket start. */
public class BucketKey {
    public String channel;
    public long bucketStartMillis;

    public BucketKey() {
    }

    public BucketKey(String channel, long bucketStartMillis) {
        this.channel = channel;
        this.bucketStartMillis = bucketStartMillis;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BucketKey that && bucketStartMillis == that.bucketStartMillis && Objects.equals(channel, that.channel);
    }

    @Override
    public int hashCode() {
        return Objects.hash(channel, bucketStartMillis);
    }
}
