package io.wattflow.pipeline.usage;

import io.wattflow.pipeline.reading.ReadingKind;

/** One meter's state as {@link MeterAccounting} reads it; null where the meter has nothing. */
interface MeterView {
    ReadingKind channelKind(String channel) throws Exception;

    AcceptedReading acceptedReading(String readingId) throws Exception;

    BucketTotal bucket(BucketKey key) throws Exception;

    Iterable<RegisterKey> registerKeys() throws Exception;

    Long registerValue(RegisterKey key) throws Exception;
}
