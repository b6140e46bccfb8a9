package dev.weft.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.certs.CertificateAuthority;
import dev.weft.certs.CertificateChain;
import dev.weft.certs.CertificateRequests;
import dev.weft.certs.KeyType;
import dev.weft.certs.Pem;
import dev.weft.certs.PeerRole;
import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustBundle;
import dev.weft.certs.TrustDomain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CaCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine commandLine = CaCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  @Test
  void initWritesARootAndIssueWritesAChainThatVerifiesAgainstIt() throws Exception {
    Path ca = dir.resolve("ca");
    Path workload = dir.resolve("web");

    assertThat(run("init", "--out", ca.toString(), "--trust-domain", "prod.example", "--ttl", "365d")).isZero();
    assertThat(run("issue", "--ca", ca.toString(), "--spiffe-id", "spiffe://prod.example/ns/shop/sa/web",
        "--out", workload.toString(), "--ttl", "2h")).as(err.toString()).isZero();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("root-key.pem")))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(workload.resolve("key.pem")))).isEqualTo("rw-------");
    X509Certificate root = Pem.readCertificates(ca.resolve("root-cert.pem")).getFirst();
    assertThat(Duration.between(Instant.now(), root.getNotAfter().toInstant())).isBetween(Duration.ofDays(364), Duration.ofDays(366));
    assertThat(Pem.readCertificates(workload.resolve("root-cert.pem"))).containsExactly(root);
    CertificateChain chain = new CertificateChain(Pem.readCertificates(workload.resolve("cert-chain.pem")));
    TrustDomain td = TrustDomain.of("prod.example");
    assertThat(TrustBundle.of(td, root).verify(chain.certificates(), PeerRole.SERVER, Clock.systemUTC()))
        .isEqualTo(SpiffeId.forWorkload(td, "shop", "web"));
    assertThat(Duration.between(Instant.now(), chain.notAfter())).isBetween(Duration.ofMinutes(118), Duration.ofMinutes(121));
    assertThat(Pem.readPrivateKey(workload.resolve("key.pem"))).isNotNull();
    assertThat(out.toString()).contains("issued spiffe://prod.example/ns/shop/sa/web");
  }

  @Test
  void initRefusesToOverwriteAnExistingRoot() {
    assertThat(run("init", "--out", dir.toString())).isZero();
    assertThat(run("init", "--out", dir.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("already holds a root CA (use --force to replace it)");
  }

  @Test
  void issueWithAnotherTrustDomainThanTheCaFails() {
    run("init", "--out", dir.toString());
    assertThat(run("issue", "--ca", dir.toString(), "--spiffe-id", "spiffe://other.example/ns/a/sa/b",
        "--out", dir.resolve("w").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("trust domain cluster.local but trust domain other.example was asked for");
  }

  @Test
  void loadsAPlugInIntermediateCaAndIssuesLeavesThatChainToTheOrganisationRoot() throws Exception {
    TrustDomain td = TrustDomain.of("cluster.local");
    CaMaterial organisation = CaMaterial.newRoot(td, Duration.ofDays(100), Clock.systemUTC());
    CertificateAuthority rootCa = organisation.authority(CertificateAuthority.builder(td));
    KeyPair intermediateKey = KeyType.EC_P256.generate(new SecureRandom());
    CertificateChain intermediate = rootCa.issueIntermediate(intermediateKey.getPublic(), "cluster-1", Duration.ofDays(30));
    Pem.writeCertificates(dir.resolve("ca-cert.pem"), List.of(intermediate.leaf()));
    Pem.writePrivateKey(dir.resolve("ca-key.pem"), intermediateKey.getPrivate());
    Pem.writeCertificates(dir.resolve("cert-chain.pem"), intermediate.certificates());
    Pem.writeCertificates(dir.resolve("root-cert.pem"), organisation.roots());

    CaMaterial plugged = CaMaterial.load(dir);
    SpiffeId web = SpiffeId.forWorkload(td, "shop", "web");
    CertificateChain leaf = plugged.authority(CertificateAuthority.builder(td))
        .sign(CertificateRequests.create(KeyType.EC_P256.generate(new SecureRandom()), web), web);

    assertThat(plugged.certificate()).isEqualTo(intermediate.leaf());
    assertThat(plugged.roots()).isEqualTo(organisation.roots());
    assertThat(leaf.certificates()).hasSize(2).element(1).isEqualTo(intermediate.leaf());
    assertThat(TrustBundle.of(td, organisation.roots().getFirst()).verify(leaf.certificates(), PeerRole.CLIENT,
        Clock.systemUTC())).isEqualTo(web);
  }

  @Test
  void loadNamesTheMissingFiles() throws Exception {
    assertThatThrownBy(() -> CaMaterial.load(dir)).hasMessageContaining("no CA in").hasMessageContaining("weft ca init");
    Files.writeString(dir.resolve("ca-key.pem"), "x");
    assertThatThrownBy(() -> CaMaterial.load(dir))
        .hasMessage(dir + " looks like a plug-in CA but lacks ca-cert.pem, root-cert.pem");
  }

  @Test
  void parsesDurationsAndAddresses() throws Exception {
    assertThat(Durations.parse("3650d")).isEqualTo(Duration.ofDays(3650));
    assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> Durations.parse("1 week")).hasMessageContaining("expected: a number with unit");
    assertThat(CaCommand.parseAddress("127.0.0.1:15012").getPort()).isEqualTo(15012);
    assertThat(CaCommand.parseAddress("[::1]:0").getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
    assertThatThrownBy(() -> CaCommand.parseAddress("localhost")).hasMessageContaining("expected: HOST:PORT");
  }
}
