package io.wattflow.pipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.connector.jdbc.core.datastream.sink.committer.JdbcCommitable;
import org.apache.flink.connector.jdbc.core.datastream.sink.writer.JdbcWriterState;
import org.junit.jupiter.api.Test;

class FailureTolerantJdbcSinkTest {

    /** Stands in for the connector's writer: records what it is asked, fails its flush and its close when told to. */
    static final class ConnectorWriter implements StatefulSinkWriter<String, JdbcWriterState>, CommittingSinkWriter<String, JdbcCommitable> {
        final List<String> calls = new ArrayList<>();
        boolean databaseGone;

        @Override
        public void write(String element, Context context) {
            calls.add("write " + element);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            calls.add("flush " + endOfInput);
            if (databaseGone) {
                throw new IOException("Reestablish JDBC connection failed");
            }
        }

        @Override
        public List<JdbcWriterState> snapshotState(long checkpointId) {
            calls.add("snapshot " + checkpointId);
            return List.of();
        }

        @Override
        public Collection<JdbcCommitable> prepareCommit() {
            calls.add("prepareCommit");
            return List.of();
        }

        @Override
        public void close() {
            calls.add("close");
            if (databaseGone) {
                throw new RuntimeException("Writing records to JDBC failed.");
            }
        }
    }

    @Test
    void everyCallReachesTheConnectorsWriter() throws Exception {
        ConnectorWriter connector = new ConnectorWriter();
        FailureTolerantJdbcSink.Writer<String, ConnectorWriter> writer = new FailureTolerantJdbcSink.Writer<>(connector);

        writer.write("a", null);
        writer.flush(false);
        writer.prepareCommit();
        writer.snapshotState(7);
        writer.close();

        assertThat(connector.calls).containsExactly("write a", "flush false", "prepareCommit", "snapshot 7", "close");
    }

    @Test
    void aFailedFlushStillFailsTheTaskButClosingAfterItDoesNot() throws Exception {
        ConnectorWriter connector = new ConnectorWriter();
        FailureTolerantJdbcSink.Writer<String, ConnectorWriter> writer = new FailureTolerantJdbcSink.Writer<>(connector);
        writer.write("a", null);
        connector.databaseGone = true;

        assertThatThrownBy(() -> writer.flush(false)).isInstanceOf(IOException.class).hasMessageContaining("Reestablish");
        assertThatCode(writer::close).doesNotThrowAnyException();
        assertThat(connector.calls).containsExactly("write a", "flush false", "close");
    }
}
