package io.wattflow.stack;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackupSetsTest {

    @Test
    void aBackupNeedsTheWalSegmentsFromItsStartToItsStopOnItsTimeline() {
        String start = "000000010000000000000003";
        String stop = "000000010000000000000005";
        String archive = "pgbackrest/archive/wattflow/15-1/0000000100000000/";

        assertThat(BackupSets.walBetween(archive + "000000010000000000000002-0a1b.zst", start, stop)).isFalse();
        assertThat(BackupSets.walBetween(archive + "000000010000000000000003-0a1b.zst", start, stop)).isTrue();
        assertThat(BackupSets.walBetween(archive + "000000010000000000000005-ffee.zst", start, stop)).isTrue();
        assertThat(BackupSets.walBetween(archive + "000000010000000000000006-0a1b.zst", start, stop)).isFalse();
        assertThat(BackupSets.walBetween(archive + "000000020000000000000004-0a1b.zst", start, stop)).as("another timeline").isFalse();
        assertThat(BackupSets.walBetween(archive + "00000002.history", start, stop)).isFalse();
        assertThat(BackupSets.walBetween("pgbackrest/archive/wattflow/archive.info", start, stop)).isFalse();
    }

    @Test
    void checksumsAreSha256InHex() {
        assertThat(BackupSets.sha256("abc".getBytes())).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
