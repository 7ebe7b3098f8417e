package io.wattflow.pipeline.reading;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record of the readings topic as it arrived: its bytes and where it came from, so that a rejected
 * record reaches the dead-letter topic unchanged and traceable. A Flink POJO (no Kryo).
 */
public class RawReading {
    public String topic;
    public int partition;
    public long offset;
    /** The Kafka record timestamp: the clock of every time rule (lateness, future skew, state cleanup). */
    public long recordTimestamp;
    public byte[] key;
    public byte[] value;
    /** The record's headers, names and values at the same index; null when it had none. The dead letter keeps them. */
    public String[] headerKeys;
    public byte[][] headerValues;

    public RawReading() {
    }

    public RawReading(String topic, int partition, long offset, long recordTimestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.recordTimestamp = recordTimestamp;
        this.key = key;
        this.value = value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RawReading that && partition == that.partition && offset == that.offset
                && recordTimestamp == that.recordTimestamp && Objects.equals(topic, that.topic)
                && Arrays.equals(key, that.key) && Arrays.equals(value, that.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return topic + "/" + partition + "@" + offset;
    }
}
