package dev.weft.controlplane.ca;

import dev.weft.certs.SpiffeId;
import dev.weft.certs.TrustBundle;
import dev.weft.certs.TrustDomain;
import dev.weft.proxy.identity.CaClient;
import dev.weft.proxy.identity.CaServerCheck;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** A root CA, a bootstrap token file and clients for CA service tests. */
final class CaFixture {

  static final TrustDomain TD = TrustDomain.of("cluster.local");
  static final SpiffeId WEB = SpiffeId.forWorkload(TD, "shop", "web");
  static final SpiffeId CART = SpiffeId.forWorkload(TD, "shop", "cart");
  static final String WEB_TOKEN = "web-token-0123456789abcdef";
  static final String CART_TOKEN = "cart-token-0123456789abcdef";

  final CaMaterial material = CaMaterial.newRoot(TD, Duration.ofDays(30), Clock.systemUTC());
  final Path tokens;
  final Path dir;

  CaFixture(Path dir) throws IOException {
    this.dir = dir;
    this.tokens = dir.resolve("tokens.yaml");
    Files.writeString(tokens, """
        - token: %s
          namespace: shop
          serviceAccount: web
        - token: %s
          namespace: shop
          serviceAccount: cart
        """.formatted(WEB_TOKEN, CART_TOKEN));
  }

  BootstrapTokenAuthenticator authenticator() throws IOException {
    return new BootstrapTokenAuthenticator(tokens, TD);
  }

  CaServer.Builder server() throws IOException {
    return CaServer.builder(material, authenticator()).address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  TrustBundle trustBundle() {
    return TrustBundle.of(TD, material.roots().toArray(java.security.cert.X509Certificate[]::new));
  }

  /** A token file holding {@code token}. */
  Path tokenFile(String name, String token) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, token + "\n");
    return file;
  }

  CaClient.Config clientConfig(InetSocketAddress address, Path tokenFile) {
    return CaClient.Config.of(address, trustBundle(), CaServerCheck.spiffeId(CaServer.controlPlaneIdentity(TD)), tokenFile)
        .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(5));
  }

  static List<String> uris(java.security.cert.X509Certificate certificate) throws Exception {
    return certificate.getSubjectAlternativeNames().stream()
        .filter(san -> Integer.valueOf(6).equals(san.get(0)))
        .map(san -> String.valueOf(san.get(1)))
        .toList();
  }
}
