package io.wattflow.stack;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * The stack's object storage: an S3-compatible store with bucket versioning (Adobe's S3Mock, one JVM), holding what
 * must outlive the machine: Flink's checkpoints and savepoints, PostgreSQL's WAL archive and backups (pgBackRest), and
 * the backup sets' manifests. It stands for S3 or any S3-compatible service in production (docs/operations.md): the
 * same settings point there. Its files stay on disk when it stops (S3Mock's default would delete them).
 *
 * <p>Two listeners: plain HTTP for Flink and the launcher on 127.0.0.1, and HTTPS on the next port for pgBackRest,
 * whose S3 driver speaks nothing else; its certificate is the stack's own (made with keytool on first start, for
 * {@code localhost} and 127.0.0.1), so pgBackRest verifies it instead of trusting anything.
 */
public final class ObjectStore {
    /** Flink's checkpoints ({@code checkpoints/<job id>/chk-N}) and savepoints. */
    public static final String FLINK_BUCKET = "wattflow-flink";
    /** pgBackRest's repository: WAL archive and backups. */
    public static final String POSTGRES_BUCKET = "wattflow-pg";
    /** The backup sets: one manifest per {@code bin/wattflow backup}. */
    public static final String BACKUP_BUCKET = "wattflow-backups";
    public static final List<String> BUCKETS = List.of(FLINK_BUCKET, POSTGRES_BUCKET, BACKUP_BUCKET);
    /** S3Mock's fixed region; any name works with S3Mock, AWS needs the bucket's own. */
    public static final String REGION = "us-east-1";
    private static final String KEY_ALIAS = "objectstore";

    private final StackLayout layout;
    private final int httpPort;
    private final ManagedProcess process;
    private final Path root;
    private final Secrets secrets;

    /** @param httpPort plain HTTP; HTTPS listens on the next port */
    public ObjectStore(StackLayout layout, int httpPort) {
        this.layout = layout;
        this.httpPort = httpPort;
        this.process = new ManagedProcess("object-store", layout.runDir(), layout.logDir());
        this.root = layout.dataDir("object-store");
        this.secrets = new Secrets(layout.secretsDir());
    }

    public ManagedProcess process() {
        return process;
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    /** The objects, one folder per bucket. */
    public Path dataDir() {
        return root.resolve("store");
    }

    public int httpPort() {
        return httpPort;
    }

    public int httpsPort() {
        return httpPort + 1;
    }

    public String url() {
        return "http://" + Ports.HOST + ":" + httpPort;
    }

    /** The HTTPS endpoint's host name: the one its certificate is made out to, as pgBackRest checks. */
    public String httpsHost() {
        return "localhost";
    }

    /** The certificate of the HTTPS listener, PEM: the only certificate pgBackRest trusts for it. */
    public Path certificate() {
        return root.resolve("tls/objectstore.pem");
    }

    public String accessKey() {
        return secrets.get("object-store-access-key");
    }

    public String secretKey() {
        return secrets.get("object-store-secret-key");
    }

    public void start(boolean detached) {
        if (isRunning()) {
            return;
        }
        Ports.requireFree(httpPort, "the object store", "WATTFLOW_OBJECT_STORE_PORT");
        Ports.requireFree(httpsPort(), "the object store's HTTPS", "WATTFLOW_OBJECT_STORE_PORT");
        Path keyStore = root.resolve("tls/objectstore.p12");
        try {
            Files.createDirectories(dataDir());
            if (!Files.exists(keyStore) || !Files.exists(certificate())) {
                createCertificate(keyStore);
            }
        } catch (IOException e) {
            throw new StackException("cannot prepare the object store in " + root + ": " + e.getMessage(), e);
        }
        List<String> command = List.of(StackLayout.javaBinary(), "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dwattflow.home=" + layout.home(), "-jar", layout.objectStoreJar().toString(),
                "--server.port=" + httpsPort(), "--http.port=" + httpPort,
                "--server.address=" + Ports.HOST,
                "--server.ssl.key-store=file:" + keyStore, "--server.ssl.key-store-type=PKCS12", "--server.ssl.key-alias=" + KEY_ALIAS,
                "--com.adobe.testing.s3mock.store.root=" + dataDir(),
                // S3Mock deletes its whole store on exit unless told otherwise: the opposite of what backups need
                "--com.adobe.testing.s3mock.store.retain-files-on-exit=true",
                "--spring.main.banner-mode=off");
        // the keystore's password through the environment (Spring reads it there), never on a command line
        Map<String, String> environment = Map.of("SERVER_SSL_KEY_STORE_PASSWORD", keyStorePassword(),
                "SERVER_SSL_KEY_PASSWORD", keyStorePassword());
        process.start(command, environment, root, detached);
        process.awaitReady(() -> HttpProbe.answers(url() + "/"), Duration.ofSeconds(120), "answering " + url());
        createBuckets();
    }

    /** Every bucket of the stack, versioned: an object deleted or overwritten keeps its earlier versions. */
    void createBuckets() {
        try (S3Client s3 = client()) {
            for (String bucket : BUCKETS) {
                try {
                    s3.headBucket(b -> b.bucket(bucket));
                } catch (NoSuchBucketException e) {
                    s3.createBucket(b -> b.bucket(bucket));
                }
                if (s3.getBucketVersioning(b -> b.bucket(bucket)).status() != BucketVersioningStatus.ENABLED) {
                    s3.putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
                }
            }
        } catch (RuntimeException e) {
            throw new StackException("cannot create the object store's buckets at " + url() + ": " + e.getMessage(), e);
        }
    }

    /** A client of the store (path-style addressing, as S3Mock and most S3-compatible services need). */
    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(URI.create(url()))
                .region(Region.of(REGION))
                .forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(60)).build())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())))
                .build();
    }

    /** The settings of Flink's S3 filesystem (Presto's) for this store: {@code config.yaml} keys. */
    public Map<String, String> flinkSettings() {
        return Map.of(
                "s3.endpoint", url(),
                "s3.path.style.access", "true",
                "s3.ssl.enabled", "false",
                "s3.access-key", accessKey(),
                "s3.secret-key", secretKey());
    }

    private String keyStorePassword() {
        return secrets.get("object-store-keystore-password");
    }

    private void createCertificate(Path keyStore) throws IOException {
        Files.createDirectories(keyStore.getParent());
        Files.deleteIfExists(keyStore);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        run(List.of(keytool.toString(), "-genkeypair", "-alias", KEY_ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                "-dname", "CN=localhost, O=Wattflow local stack", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass:env", "WATTFLOW_KEYSTORE_PASSWORD"), "keytool -genkeypair");
        run(List.of(keytool.toString(), "-exportcert", "-rfc", "-alias", KEY_ALIAS, "-keystore", keyStore.toString(),
                "-storepass:env", "WATTFLOW_KEYSTORE_PASSWORD", "-file", certificate().toString()), "keytool -exportcert");
        // pgBackRest runs as the postgres OS user and must read the certificate (it is public)
        Files.setPosixFilePermissions(certificate(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    private void run(List<String> command, String what) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("WATTFLOW_KEYSTORE_PASSWORD", keyStorePassword());
            Process child = builder.start();
            String output = new String(child.getInputStream().readAllBytes());
            if (child.waitFor() != 0) {
                throw new StackException(what + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new StackException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted during " + what);
        }
    }

    public void stop() {
        process.stop(Duration.ofSeconds(20));
    }
}
