package io.wattflow.pipeline.sink;

import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * Lets a finished job's classes go. The PostgreSQL driver in the job jar registers itself in the JVM-wide
 * {@link DriverManager}, which then holds the job's class loader for as long as the TaskManager lives: every
 * submission of the job to a session cluster kept its classes, and the fourth filled a TaskManager's metaspace.
 * Flink runs the hook registered here when it releases the job's class loader.
 */
public final class JdbcDriverRelease {
    static final String HOOK = "wattflow-jdbc-driver";

    private JdbcDriverRelease() {
    }

    public static void registerOnce(RuntimeContext context) {
        ClassLoader job = JdbcDriverRelease.class.getClassLoader();
        if (job == RuntimeContext.class.getClassLoader()) {
            // The job's classes are Flink's own (a MiniCluster, or the jar in Flink's lib): never released, and
            // deregistering would take the driver from everything else in this JVM.
            return;
        }
        context.registerUserCodeClassLoaderReleaseHookIfAbsent(HOOK, () -> deregisterDriversOf(job));
    }

    /** Deregisters the drivers that the class loader loaded; drivers of other loaders stay. */
    static void deregisterDriversOf(ClassLoader loader) {
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == loader) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException e) {
                    // nothing to undo: the driver stays registered and its classes stay loaded, as before this hook
                }
            }
        }
    }
}
