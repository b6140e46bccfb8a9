package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "spiffe://cluster.local",
      "spiffe://cluster.local/ns/shop/sa/cart",
      "spiffe://example.org/path/with.dots/and-dashes/and_underscores",
      "spiffe://td-1_a.b/UPPER/case/0123456789",
      "spiffe://x/..a/a../.../a.b",
  })
  void parsesValidIdsAndPrintsThemBack(String id) {
    SpiffeId parsed = SpiffeId.parse(id);

    assertThat(parsed.toString()).isEqualTo(id);
    assertThat(parsed.toUri().toString()).isEqualTo(id);
    assertThat(SpiffeId.parse(parsed.toString())).isEqualTo(parsed);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "''                                   | empty",
      "http://cluster.local/ns/a/sa/b       | scheme is \"http\" (expected: spiffe)",
      "SPIFFE://cluster.local/ns/a          | scheme \"SPIFFE\" is not lowercase",
      "spiffe:/cluster.local                | does not start with \"spiffe://\"",
      "cluster.local/ns/a                   | does not start with \"spiffe://\"",
      "spiffe://                            | trust domain is missing",
      "spiffe:///ns/a/sa/b                  | trust domain is missing",
      "spiffe://Cluster.local/ns/a          | 'C' at index 9 (trust domains are lowercase)",
      "spiffe://cluster.local:8443/ns/a     | port is not allowed",
      "spiffe://user@cluster.local/ns/a     | user info is not allowed",
      "spiffe://clu$ter/ns/a                | trust domain has character '$' at index 12",
      "spiffe://cluster.local/ns/a?x=1      | query is not allowed (found '?' at index 27)",
      "spiffe://cluster.local/ns/a#frag     | fragment is not allowed (found '#' at index 27)",
      "spiffe://cluster.local/              | trailing '/'",
      "spiffe://cluster.local/ns//sa/b      | empty segment at index 26",
      "spiffe://cluster.local/ns/./sa       | \".\" segment (expected: no dot segments)",
      "spiffe://cluster.local/ns/../sa      | \"..\" segment (expected: no dot segments)",
      "spiffe://cluster.local/ns/a%20b      | '%' at index 27 (percent-encoding is not allowed)",
      "spiffe://cluster.local/ns/a b        | U+0020 at index 27",
      "spiffe://cluster.local/ns/ä          | U+00E4 at index 26",
      "spiffe://cluster.local/ns/a:b        | ':' at index 27",
  })
  void rejectsInvalidIdsNamingTheProblem(String id, String expectedMessage) {
    assertThatThrownBy(() -> SpiffeId.parse(id))
        .isInstanceOf(InvalidSpiffeIdException.class)
        .hasMessageStartingWith("invalid SPIFFE ID \"" + id + "\": ")
        .hasMessageContaining(expectedMessage);
  }

  @Test
  void enforcesLengthLimits() {
    String td255 = "a".repeat(255);
    assertThat(SpiffeId.parse("spiffe://" + td255).trustDomain().name()).hasSize(255);
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://" + "a".repeat(256)))
        .hasMessageContaining("trust domain is 256 characters long (expected: at most 255)");

    String prefix = "spiffe://td/";
    String atLimit = prefix + "p".repeat(2048 - prefix.length());
    assertThat(SpiffeId.parse(atLimit).toString()).hasSize(2048);
    assertThatThrownBy(() -> SpiffeId.parse(atLimit + "p"))
        .hasMessageContaining("SPIFFE ID is 2049 bytes long (expected: at most 2048)");
    assertThatThrownBy(() -> SpiffeId.of(TrustDomain.of("td"), "p".repeat(2048)))
        .hasMessageContaining("bytes long (expected: at most 2048)");
  }

  @Test
  void buildsAndReadsWorkloadIds() {
    SpiffeId id = SpiffeId.forWorkload("cluster.local", "shop", "cart");

    assertThat(id).hasToString("spiffe://cluster.local/ns/shop/sa/cart");
    assertThat(id.isWorkload()).isTrue();
    assertThat(id.namespace()).contains("shop");
    assertThat(id.serviceAccount()).contains("cart");
    assertThat(id.trustDomain()).isEqualTo(TrustDomain.of("cluster.local"));
    assertThat(SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/cart")).isEqualTo(id);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "spiffe://cluster.local",
      "spiffe://cluster.local/ns/shop",
      "spiffe://cluster.local/ns/shop/sa",
      "spiffe://cluster.local/ns/shop/sa/cart/extra",
      "spiffe://cluster.local/namespace/shop/sa/cart",
      "spiffe://cluster.local/ns/shop/serviceaccount/cart",
  })
  void otherPathsHaveNoNamespaceOrServiceAccount(String id) {
    SpiffeId parsed = SpiffeId.parse(id);

    assertThat(parsed.isWorkload()).isFalse();
    assertThat(parsed.namespace()).isEmpty();
    assertThat(parsed.serviceAccount()).isEmpty();
  }

  @Test
  void workloadHelperRejectsInvalidSegments() {
    assertThatThrownBy(() -> SpiffeId.forWorkload("cluster.local", "a/b", "sa"))
        .isInstanceOf(InvalidSpiffeIdException.class)
        .hasMessageContaining("\"a/b\": contains '/'");
    assertThatThrownBy(() -> SpiffeId.forWorkload("cluster.local", "", "sa"))
        .hasMessageContaining("empty segment");
    assertThatThrownBy(() -> SpiffeId.forWorkload("cluster.local", "..", "sa"))
        .hasMessageContaining("dot segments");
    assertThatThrownBy(() -> SpiffeId.forWorkload("Cluster.local", "ns", "sa"))
        .hasMessageContaining("invalid trust domain \"Cluster.local\"");
  }

  @Test
  void extractsTheSingleUriSanFromACertificate() throws Exception {
    X509Certificate one = leafWithUris(List.of("spiffe://cluster.local/ns/a/sa/b"));

    assertThat(SpiffeId.fromCertificate(one)).isEqualTo(SpiffeId.forWorkload("cluster.local", "a", "b"));
  }

  @Test
  void refusesCertificatesWithoutExactlyOneUriSan() throws Exception {
    assertThatThrownBy(() -> SpiffeId.fromCertificate(leafWithUris(List.of())))
        .isInstanceOf(InvalidSpiffeIdException.class)
        .hasMessageContaining("has 0 URI SANs [] (expected: exactly one spiffe:// URI)");
    assertThatThrownBy(() -> SpiffeId.fromCertificate(
            leafWithUris(List.of("spiffe://cluster.local/ns/a/sa/b", "spiffe://cluster.local/ns/a/sa/c"))))
        .hasMessageContaining("has 2 URI SANs [spiffe://cluster.local/ns/a/sa/b, spiffe://cluster.local/ns/a/sa/c]");
    assertThatThrownBy(() -> SpiffeId.fromCertificate(leafWithUris(List.of("https://example.org/x"))))
        .hasMessageContaining("scheme is \"https\" (expected: spiffe)");
  }

  private static X509Certificate leafWithUris(List<String> uris) throws Exception {
    Instant now = Instant.now();
    TestPki.Issuer ca = TestPki.selfSignedCa("test", true, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    KeyPair key = KeyType.EC_P256.generate(TestPki.RANDOM);
    return TestPki.leaf(ca, key, uris, List.of(KeyPurposeId.id_kp_clientAuth), now, now.plus(Duration.ofHours(1)));
  }
}
