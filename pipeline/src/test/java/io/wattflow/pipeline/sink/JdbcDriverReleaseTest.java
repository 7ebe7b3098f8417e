package io.wattflow.pipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
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
    void theDriversOfAReleasedClassLoaderAreDeregisteredSoItsClassesCanGo() throws Exception {
        Class.forName("org.postgresql.Driver");
        assertThat(driverClasses()).contains(Driver.class);

        JdbcDriverRelease.deregisterDriversOf(new ClassLoader() { }); // another loader's: nothing happens
        assertThat(driverClasses()).contains(Driver.class);

        JdbcDriverRelease.deregisterDriversOf(Driver.class.getClassLoader());
        assertThat(driverClasses()).doesNotContain(Driver.class);
    }

    @Test
    void noHookWhenTheJobsClassesAreFlinksOwnAsOnAMiniCluster() {
        List<String> hooks = new ArrayList<>();
        RuntimeContext context = (RuntimeContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RuntimeContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("registerUserCodeClassLoaderReleaseHookIfAbsent")) {
                        hooks.add((String) args[0]);
                    }
                    return null;
                });

        JdbcDriverRelease.registerOnce(context);

        assertThat(hooks).isEmpty(); // the tests' classes and Flink's share one loader here
    }

    private static List<Class<?>> driverClasses() {
        return Collections.list(DriverManager.getDrivers()).stream().<Class<?>>map(Object::getClass).toList();
    }
}
