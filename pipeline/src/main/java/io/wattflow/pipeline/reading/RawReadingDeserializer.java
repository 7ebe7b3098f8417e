package io.wattflow.pipeline.reading;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Keeps the record whole: parsing happens in {@link ParseAndValidate}, where a bad record can be dead-lettered. */
public class RawReadingDeserializer implements KafkaRecordDeserializationSchema<RawReading> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawReading> out) {
        RawReading raw = new RawReading(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.key(), record.value());
        Header[] headers = record.headers().toArray();
        if (headers.length > 0) {
            raw.headerKeys = new String[headers.length];
            raw.headerValues = new byte[headers.length][];
            for (int i = 0; i < headers.length; i++) {
                raw.headerKeys[i] = headers[i].key();
                raw.headerValues[i] = headers[i].value();
            }
        }
        out.collect(raw);
    }

    @Override
    public TypeInformation<RawReading> getProducedType() {
        return TypeInformation.of(RawReading.class);
    }
}
