package io.wattflow.pipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PendingPointsTest {

    @Test
    void theFirstReleasesStateIsReadAsEnergyLines() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(1);
            out.writeUTF("MTR-0001");
            out.writeUTF("import");
            out.writeLong(1_795_000_500_000L);
            out.writeLong(1_234L);
        }

        PendingPoints points = new PendingPoints.Serializer().deserialize(1, bytes.toByteArray());

        assertThat(points.view()).containsExactly(Map.entry("energy,channel=import,meter_id=MTR-0001 1795000500000",
                "energy,channel=import,meter_id=MTR-0001 energy_mwh=1234i 1795000500000"));
    }

    @Test
    void stateSurvivesARoundTrip() throws Exception {
        PendingPoints points = new PendingPoints();
        points.put("fleet,channel=import 0", "fleet,channel=import energy_mwh=5i,meters=2i,average_kw=0.00001 0");
        PendingPoints.Serializer serializer = new PendingPoints.Serializer();

        PendingPoints copy = serializer.deserialize(serializer.getVersion(), serializer.serialize(points));

        assertThat(copy.view()).isEqualTo(points.view());
    }
}
