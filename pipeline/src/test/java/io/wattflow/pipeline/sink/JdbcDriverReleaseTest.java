package io.wattflow.pipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

class JdbcDriverReleaseTest {

    @AfterEach
    void registerAgain() throws Exception {
        if (!driverClasses().contains(Driver.class)) {
            DriverManager.registerDriver(new Driver()); // other tests in this JVM still connect
        }
    }

    @Test
    void theDriversOfTheJobsClassLoaderAreDeregisteredSoItsClassesCanGo() throws Exception {
        Class.forName("org.postgresql.Driver");
        assertThat(driverClasses()).contains(Driver.class);

        JdbcDriverRelease.deregisterOwnDrivers();

        assertThat(driverClasses()).doesNotContain(Driver.class);
    }

    private static List<Class<?>> driverClasses() {
        return Collections.list(DriverManager.getDrivers()).stream().<Class<?>>map(Object::getClass).toList();
    }
}
