package dev.weft.proxy.testkit;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateRequests;
import dev.weft.certs.KeyType;
import dev.weft.certs.Pem;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustDomain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * A test certificate authority (trust domain {@code cluster.local}) that writes workload
 * certificates as PEM files, the way a mounted secret would hold them: {@code cert-chain.pem},
 * {@code key.pem} and the CA's {@code root-cert.pem}. Its clock can be moved to issue
 * certificates that are already expired.
 */
public final class TestPki {
  private final MovableClock clock = new MovableClock(Instant.now().minus(Duration.ofDays(3)));
  private final CertificateAuthority ca;
  private final Path dir;
  private final SecureRandom random = new SecureRandom();

  public TestPki(Path dir) throws IOException {
    this.dir = dir;
    this.ca = CertificateAuthority.builder(TrustDomain.of("cluster.local")).clock(clock).selfSigned();
    clock.set(Instant.now());
    Pem.writeCertificates(dir.resolve("root-cert.pem"), List.of(ca.rootCertificate()));
  }

  public Path root() {
    return dir.resolve("root-cert.pem");
  }

  /** Files of one workload identity. */
  public record Identity(Path chain, Path key, Path root) {}

  /** Issues a certificate for {@code spiffe://cluster.local/ns/NS/sa/SA} valid for {@code ttl}, into dir/name/. */
  public Identity issue(String name, String namespace, String serviceAccount, Duration ttl) throws IOException {
    return write(name, namespace, serviceAccount, ttl, Instant.now());
  }

  /** Issues a certificate that expired before now. */
  public Identity issueExpired(String name, String namespace, String serviceAccount) throws IOException {
    return write(name, namespace, serviceAccount, Duration.ofHours(1), Instant.now().minus(Duration.ofDays(2)));
  }

  private synchronized Identity write(String name, String ns, String sa, Duration ttl, Instant at) throws IOException {
    clock.set(at);
    try {
      KeyPair keys = KeyType.EC_P256.generate(random);
      SpiffeId id = SpiffeId.forWorkload("cluster.local", ns, sa);
      CertificateChain chain = ca.sign(CertificateRequests.create(keys, id), id, ttl);
      Path d = Files.createDirectories(dir.resolve(name));
      // Write next to the target, then move into place: readers never see half a file.
      Path tmpKey = d.resolve(".key.pem.tmp");
      Path tmpChain = d.resolve(".cert-chain.pem.tmp");
      Files.deleteIfExists(tmpKey);
      Pem.writePrivateKey(tmpKey, keys.getPrivate());
      Pem.writeCertificates(tmpChain, chain.certificates());
      Files.move(tmpKey, d.resolve("key.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.move(tmpChain, d.resolve("cert-chain.pem"), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      return new Identity(d.resolve("cert-chain.pem"), d.resolve("key.pem"), root());
    } finally {
      clock.set(Instant.now());
    }
  }

  /** A clock tests can move. */
  static final class MovableClock extends Clock {
    private volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
