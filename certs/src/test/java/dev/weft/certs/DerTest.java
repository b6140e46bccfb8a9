package dev.weft.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.junit.jupiter.api.Test;

/** {@link Der}: reads what DER allows, refuses the rest with its checked exception, never anything else. */
class DerTest {

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  @Test
  void readsTheFieldsOfAPkcs8Key() throws Exception {
    byte[] pkcs8 = TestPki.keyPair("P-256", null).getPrivate().getEncoded();

    Der info = Der.of(pkcs8).read(Der.SEQUENCE);
    assertThat(info.readSmallInteger()).isZero();
    Der algorithm = info.read(Der.SEQUENCE);
    assertThat(algorithm.readObjectIdentifier()).isEqualTo("1.2.840.10045.2.1");
    assertThat(algorithm.readObjectIdentifier()).isEqualTo("1.2.840.10045.3.1.7");
    algorithm.expectEnd();
    Der ecPrivateKey = info.read(Der.OCTET_STRING).read(Der.SEQUENCE);
    info.expectEnd();
    assertThat(ecPrivateKey.readSmallInteger()).isOne();
    assertThat(ecPrivateKey.read(Der.OCTET_STRING).remaining()).hasSize(32);
    assertThat(ecPrivateKey.hasMore()).isFalse();
    assertThat(Der.isDer(pkcs8)).isTrue();
  }

  @Test
  void decodesObjectIdentifiersAsBouncyCastleEncodesThem() throws Exception {
    for (String oid : List.of("0.0", "0.9.2342.19200300.100.1.1", "1.3.101.112", "1.2.840.113549.1.1.10",
        "2.5.29.17", "2.999.3", "2.40.1", "1.39.127.128.16383.16384", "2.25.329800735698586629295641978511506172918")) {
      byte[] encoded = new ASN1ObjectIdentifier(oid).getEncoded();
      if (oid.startsWith("2.25.")) {
        // Larger than a long: refused (the caller falls back), never mangled.
        assertThatThrownBy(() -> Der.of(encoded).readObjectIdentifier()).isInstanceOf(Der.MalformedException.class);
        continue;
      }
      assertThat(Der.of(encoded).readObjectIdentifier()).isEqualTo(oid);
      assertThat(Der.isDer(encoded)).as(oid).isTrue();
    }
  }

  @Test
  void readsIntegersAndBitStrings() throws Exception {
    assertThat(Der.of(hex("02 01 7f")).readSmallInteger()).isEqualTo(127);
    assertThat(Der.of(hex("02 02 00 80")).readSmallInteger()).isEqualTo(128);
    assertThat(Der.of(hex("02 01 ff")).readSmallInteger()).isEqualTo(-1);
    assertThat(Der.of(hex("02 04 7f ff ff ff")).readSmallInteger()).isEqualTo(Integer.MAX_VALUE);
    assertThat(Der.of(hex("03 03 00 04 05")).readBitString()).containsExactly(4, 5);
    assertThatThrownBy(() -> Der.of(hex("02 05 00 80 00 00 00")).readSmallInteger())
        .isInstanceOf(Der.MalformedException.class);
    assertThatThrownBy(() -> Der.of(hex("03 02 04 f0")).readBitString()).isInstanceOf(Der.MalformedException.class);
    assertThatThrownBy(() -> Der.of(hex("04 01 00")).read(Der.SEQUENCE)).isInstanceOf(Der.MalformedException.class);
  }

  @Test
  void acceptsCanonicalDer() {
    for (String valid : List.of("30 00", "30 03 02 01 00", "31 06 02 01 01 02 01 02", "31 05 02 01 01 05 00",
        "a0 03 02 01 05", "81 02 00 ff", "01 01 ff", "01 01 00", "03 01 00", "03 02 04 f0",
        "02 02 00 80", "02 02 ff 7f", "04 81 80 " + "00 ".repeat(128), "30 0a 06 08 2a 86 48 ce 3d 03 01 07")) {
      assertThat(Der.isDer(hex(valid))).as(valid).isTrue();
    }
  }

  @Test
  void refusesWhatIsNotDer() {
    String deep = "30 00";
    for (int i = 0; i < 33; i++) {
      deep = "30 " + String.format("%02x ", hex(deep).length) + deep;
    }
    List<String> invalid = List.of(
        "", "00 00", "30", "30 05 02 01 00", "30 03 02 01 00 00",
        "30 80 02 01 00 00 00", "30 81 03 02 01 00", "30 82 00 03 02 01 00", "30 85 00 00 00 00 03 02 01 00",
        "30 84 7f ff ff ff", "1f 81 00", "3f 81 00",
        "02 00", "02 02 00 7f", "02 02 ff 80", "0a 02 00 01", "01 01 01", "01 00", "01 02 ff ff",
        "03 00", "03 01 01", "03 02 08 00", "03 02 04 f8", "05 01 00",
        "06 00", "06 01 81", "06 02 80 01", "06 03 2a 80 01",
        "24 03 04 01 00", "10 00", "11 00", "23 03 03 01 00",
        "31 06 02 01 02 02 01 01", "31 05 05 00 02 01 01", deep);
    for (String bad : invalid) {
      assertThat(Der.isDer(hex(bad))).as(bad).isFalse();
    }
  }

  @Test
  void truncatedCorruptedOrRandomInputIsRefusedWithoutUncheckedExceptions() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    TestPki.Issuer issuer = TestPki.selfSignedCa("der-ca", true, now, now.plus(1, ChronoUnit.DAYS));
    List<byte[]> samples = new ArrayList<>(List.of(
        issuer.certificate().getEncoded(),
        issuer.certificate().getPublicKey().getEncoded(),
        TestPki.keyPair("P-256", TestPki.BOUNCY_CASTLE).getPrivate().getEncoded(),
        TestPki.keyPair("RSA", null).getPrivate().getEncoded(),
        TestPki.keyPair("Ed25519", TestPki.BOUNCY_CASTLE).getPrivate().getEncoded()));
    List<byte[]> inputs = new ArrayList<>();
    for (byte[] sample : samples) {
      assertThat(Der.isDer(sample)).isTrue();
      for (int length = 0; length < sample.length; length++) {
        byte[] prefix = Arrays.copyOf(sample, length);
        assertThat(Der.isDer(prefix)).as("prefix of %d bytes", length).isFalse();
        inputs.add(prefix);
      }
      for (int i = 0; i < sample.length; i++) {
        for (int value : new int[] {0x00, 0x80, 0x81, 0x84, 0xff, sample[i] ^ 0x01}) {
          byte[] corrupted = sample.clone();
          corrupted[i] = (byte) value;
          inputs.add(corrupted);
        }
      }
    }
    Random random = new Random(20250101);
    for (int i = 0; i < 2000; i++) {
      byte[] garbage = new byte[random.nextInt(48)];
      random.nextBytes(garbage);
      if (garbage.length > 0 && random.nextBoolean()) {
        garbage[0] = 0x30;
      }
      inputs.add(garbage);
    }

    for (byte[] input : inputs) {
      assertThatCode(() -> {
        Der.isDer(input);
        Pem.pkcs8KeyFactoryAlgorithm(input);
        Certificates.embeddedEcPoint(input);
        Certificates.subjectPublicKeyPoint(input);
        walk(Der.of(input), 0);
      }).as(HexFormat.of().formatHex(input)).doesNotThrowAnyException();
    }
  }

  @Test
  void garbageKeyAndCertificateFilesFallBackWithBouncyCastlesErrors() throws Exception {
    byte[] pkcs8 = TestPki.keyPair("P-256", TestPki.BOUNCY_CASTLE).getPrivate().getEncoded();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    byte[] certificate = TestPki.selfSignedCa("der-ca", true, now, now.plus(1, ChronoUnit.DAYS)).certificate()
        .getEncoded();
    for (int length : new int[] {1, 2, 10, pkcs8.length / 2, pkcs8.length - 1}) {
      String keyPem = PemFastPathTest.pem("PRIVATE KEY", Arrays.copyOf(pkcs8, length));
      String certificatePem = PemFastPathTest.pem("CERTIFICATE", Arrays.copyOf(certificate, length));

      long fallbacks = Pem.BC_FALLBACKS.get();
      ReadOutcome key = ReadOutcome.of(() -> Pem.readPrivateKey(keyPem));
      ReadOutcome certificates = ReadOutcome.of(() -> Pem.readCertificates(certificatePem));

      assertThat(Pem.BC_FALLBACKS.get()).isEqualTo(fallbacks + 2);
      assertThat(key.error()).startsWith(PemException.class.getName());
      assertThat(key).isEqualTo(ReadOutcome.of(() -> BcPem.readPrivateKey(keyPem)));
      assertThat(certificates.error()).startsWith(PemException.class.getName());
      assertThat(certificates).isEqualTo(ReadOutcome.of(() -> BcPem.readCertificates(certificatePem)));
    }
  }

  /** Reads every element with the typed readers, as deep as it goes, until one is refused. */
  private static void walk(Der reader, int depth) {
    try {
      while (reader.hasMore() && depth < 40) {
        int tag = reader.peekTag();
        switch (tag) {
          case Der.OBJECT_IDENTIFIER -> reader.readObjectIdentifier();
          case Der.INTEGER -> reader.readSmallInteger();
          case Der.BIT_STRING -> reader.readBitString();
          default -> {
            Der contents = reader.read(tag);
            if ((tag & 0x20) != 0) {
              walk(contents, depth + 1);
            } else {
              contents.remaining();
            }
          }
        }
      }
    } catch (Der.MalformedException expected) {
      // Refused: what the callers turn into a fallback.
    }
  }
}
