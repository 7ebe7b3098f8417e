package io.wattflow.pipeline.sink;

import io.wattflow.pipeline.reading.RawReading;
import io.wattflow.pipeline.reading.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * A dead letter is the original record, byte for byte (key and value), with the reason and the source position in
 * headers, the convention of Kafka Connect's dead-letter queues: a fixed reading can be re-produced as it is. The
 * record's own headers come first, unchanged; ours follow (a consumer reads ours with {@code lastHeader}).
 */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<Rejection> {
    private static final long serialVersionUID = 1L;

    public static final String REASON = "wattflow.reason";
    public static final String DETAIL = "wattflow.detail";
    public static final String SOURCE_TOPIC = "wattflow.source.topic";
    public static final String SOURCE_PARTITION = "wattflow.source.partition";
    public static final String SOURCE_OFFSET = "wattflow.source.offset";

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Rejection rejection, KafkaSinkContext context, Long timestamp) {
        RawReading source = rejection.source;
        List<Header> headers = new ArrayList<>();
        if (source.headerKeys != null) {
            for (int i = 0; i < source.headerKeys.length; i++) {
                headers.add(new RecordHeader(source.headerKeys[i], source.headerValues[i]));
            }
        }
        headers.add(header(REASON, rejection.reason.code()));
        headers.add(header(DETAIL, rejection.detail == null ? "" : rejection.detail));
        headers.add(header(SOURCE_TOPIC, source.topic));
        headers.add(header(SOURCE_PARTITION, Integer.toString(source.partition)));
        headers.add(header(SOURCE_OFFSET, Long.toString(source.offset)));
        return new ProducerRecord<>(topic, null, rejection.source.recordTimestamp, rejection.source.key, rejection.source.value, headers);
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
