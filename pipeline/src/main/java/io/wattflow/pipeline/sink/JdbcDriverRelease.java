package io.wattflow.pipeline.sink;

import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * Lets a finished job's classes go. The PostgreSQL driver in the job jar registers itself in the JVM-wide
 * {@link DriverManager}, which then holds the job's class loader for as long as the TaskManager lives: every
 * submission of the job to a session cluster kept its classes, and a few resubmissions filled a TaskManager's
 * metaspace. Flink runs this hook when it releases the job's class loader.
 */
public final class JdbcDriverRelease {
    private JdbcDriverRelease() {
    }

    public static void registerOnce(RuntimeContext context) {
        context.registerUserCodeClassLoaderReleaseHookIfAbsent("wattflow-jdbc-driver", JdbcDriverRelease::deregisterOwnDrivers);
    }

    /** Deregisters the drivers loaded by this job's class loader; drivers of Flink's own lib stay. */
    static void deregisterOwnDrivers() {
        ClassLoader own = JdbcDriverRelease.class.getClassLoader();
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == own) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException e) {
                    // nothing to undo: the driver stays registered and its classes stay loaded, as before this hook
                }
            }
        }
    }
}
