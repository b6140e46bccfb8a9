package dev.weft.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.certs.SpiffeId;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class CaServerCheckTest {

  private static final SpiffeId CONTROL_PLANE = SpiffeId.parse("spiffe://cluster.local/ns/weft-system/sa/weft-control-plane");

  private static X509Certificate leaf(List<GeneralName> names) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair keyPair = generator.generateKeyPair();
    Instant now = Instant.now();
    var builder = new JcaX509v3CertificateBuilder(new X500Name("CN=test"), BigInteger.ONE, Date.from(now),
        Date.from(now.plus(Duration.ofHours(1))), new X500Name("CN=test"), keyPair.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
  }

  @Test
  void spiffeIdCheckNamesBothIdentitiesOnMismatch() {
    CaServerCheck check = CaServerCheck.spiffeId(CONTROL_PLANE);
    SpiffeId other = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/web");

    assertThat(check.problemWith(null, CONTROL_PLANE)).isNull();
    assertThat(check.problemWith(null, other))
        .isEqualTo("CA server certificate is for " + other + " (expected: " + CONTROL_PLANE + ")");
  }

  @Test
  void hostNameCheckMatchesDnsCaseInsensitivelyAndIpsByValue() throws Exception {
    X509Certificate certificate = leaf(List.of(
        new GeneralName(GeneralName.uniformResourceIdentifier, CONTROL_PLANE.toString()),
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, new DEROctetString(InetAddress.ofLiteral("127.0.0.1").getAddress())),
        new GeneralName(GeneralName.iPAddress, new DEROctetString(InetAddress.ofLiteral("::1").getAddress()))));

    assertThat(CaServerCheck.hostName("LocalHost").problemWith(certificate, CONTROL_PLANE)).isNull();
    assertThat(CaServerCheck.hostName("127.0.0.1").problemWith(certificate, CONTROL_PLANE)).isNull();
    assertThat(CaServerCheck.hostName("0:0:0:0:0:0:0:1").problemWith(certificate, CONTROL_PLANE)).isNull();
    assertThat(CaServerCheck.hostName("ca.weft-system.svc").problemWith(certificate, CONTROL_PLANE))
        .isEqualTo("CA server certificate names DNS [localhost] (expected: ca.weft-system.svc)");
    assertThat(CaServerCheck.hostName("10.0.0.1").problemWith(certificate, CONTROL_PLANE))
        .startsWith("CA server certificate names IP addresses").endsWith("(expected: 10.0.0.1)");
  }

  @Test
  void configRejectsOutOfRangeSettings() {
    assertThatThrownBy(() -> CaServerCheck.hostName(" ")).hasMessageContaining("host name is blank");
    assertThatThrownBy(() -> new CaClient.Config(new java.net.InetSocketAddress(0), dev.weft.certs.TrustBundle.empty(),
        CaServerCheck.spiffeId(CONTROL_PLANE), Path.of("token"), Duration.ofSeconds(1), Duration.ZERO, 4096, true))
        .hasMessage("requestTimeout: PT0S (expected: > 0)");
  }

  @Test
  void statusNamesAndMessagesAreDecoded() {
    assertThat(CaClientException.statusName(7)).isEqualTo("PERMISSION_DENIED");
    assertThat(CaClientException.statusName(99)).isEqualTo("STATUS_99");
    assertThat(CaClient.percentDecode("CSR asks for spiffe://a/b%20c but 100%25 sure")).isEqualTo("CSR asks for spiffe://a/b c but 100% sure");
    assertThat(CaClient.percentDecode("a+b")).isEqualTo("a+b");
    assertThat(new CaClientException(8, "slow down", null).getMessage())
        .isEqualTo("CA CreateCertificate failed: RESOURCE_EXHAUSTED: slow down");
  }
}
