package io.wattflow.loadgen.importing;

import java.util.ArrayList;
import java.util.List;

/** What a parser read, kept for assertions. */
final class CollectingSink implements ReadingSink {
    final List<ImportedReading> readings = new ArrayList<>();
    final List<String> badRows = new ArrayList<>();
    final List<Long> noData = new ArrayList<>();

    @Override
    public void reading(ImportedReading reading) {
        readings.add(reading);
    }

    @Override
    public void badRow(BadRow row) {
        badRows.add(row.line() + ": " + row.reason());
    }

    @Override
    public void noData(long line) {
        noData.add(line);
    }

    List<String> json() {
        return readings.stream().map(ImportedReading::json).toList();
    }
}
