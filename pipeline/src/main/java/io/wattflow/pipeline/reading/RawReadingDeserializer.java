package io.wattflow.pipeline.reading;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps the record whole: parsing happens in {@link ParseAndValidate}, where a bad record can be dead-lettered. */
public class RawReadingDeserializer implements KafkaRecordDeserializationSchema<RawReading> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawReading> out) {
        out.collect(new RawReading(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.key(), record.value()));
    }

    @Override
    public TypeInformation<RawReading> getProducedType() {
        return TypeInformation.of(RawReading.class);
    }
}
