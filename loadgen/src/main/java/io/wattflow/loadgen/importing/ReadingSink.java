package io.wattflow.loadgen.importing;

/** Where a file's parser puts what it read: readings, bad rows, and intervals the file says have no data. */
public interface ReadingSink {
    void reading(ImportedReading reading);

    void badRow(BadRow row);

    /** An interval the file lists without a value (NEM12 quality N): nothing to import, counted. */
    void noData(long line);
}
