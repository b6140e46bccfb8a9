package dev.weft.proxy.identity;

import dev.weft.certs.SpiffeId;
import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What the CA server's certificate must name, checked after its chain verified against the trust
 * bundle: the control plane's SPIFFE ID (the default, as every Weft certificate carries one), or a
 * DNS name / IP address for a CA reached by host name.
 */
public sealed interface CaServerCheck {

  /**
   * Checks the verified leaf.
   *
   * @param leaf the server's leaf certificate, already chained to the trust bundle
   * @param spiffeId the leaf's SPIFFE ID
   * @return null if the leaf is acceptable, otherwise why not
   */
  String problemWith(X509Certificate leaf, SpiffeId spiffeId);

  /** Expects the server's SPIFFE ID to be exactly {@code id}. */
  static CaServerCheck spiffeId(SpiffeId id) {
    return new ExpectSpiffeId(id);
  }

  /** Expects the server's certificate to carry {@code name} as a DNS SAN or, for an IP literal, an IP SAN. */
  static CaServerCheck hostName(String name) {
    return new ExpectHostName(name);
  }

  /**
   * The server must present exactly this SPIFFE ID.
   *
   * @param expected the control plane's identity, e.g. {@code spiffe://cluster.local/ns/weft-system/sa/weft-control-plane}
   */
  record ExpectSpiffeId(SpiffeId expected) implements CaServerCheck {

    /** Checks the argument. */
    public ExpectSpiffeId {
      Objects.requireNonNull(expected, "expected");
    }

    @Override
    public String problemWith(X509Certificate leaf, SpiffeId spiffeId) {
      return spiffeId.equals(expected) ? null
          : "CA server certificate is for " + spiffeId + " (expected: " + expected + ")";
    }
  }

  /**
   * The server's certificate must name this host.
   *
   * @param name a DNS name (matched case-insensitively, no wildcards) or an IP literal
   */
  record ExpectHostName(String name) implements CaServerCheck {

    /** Checks the argument. */
    public ExpectHostName {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("host name is blank (expected: a DNS name or IP address)");
      }
    }

    @Override
    public String problemWith(X509Certificate leaf, SpiffeId spiffeId) {
      boolean ipLiteral = isIpLiteral(name);
      List<String> dnsNames = new ArrayList<>();
      List<String> addresses = new ArrayList<>();
      try {
        Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
        if (sans != null) {
          for (List<?> san : sans) {
            Object type = san.get(0);
            if (Integer.valueOf(2).equals(type)) {
              dnsNames.add(String.valueOf(san.get(1)));
            } else if (Integer.valueOf(7).equals(type)) {
              addresses.add(String.valueOf(san.get(1)));
            }
          }
        }
      } catch (CertificateParsingException e) {
        return "CA server certificate has an unreadable subjectAltName: " + e.getMessage();
      }
      if (ipLiteral) {
        InetAddress wanted = parseIp(name);
        if (wanted == null) {
          return "expected host \"" + name + "\" is not a valid IP address";
        }
        for (String address : addresses) {
          if (wanted.equals(parseIp(address))) {
            return null;
          }
        }
        return "CA server certificate names IP addresses " + addresses + " (expected: " + name + ")";
      }
      for (String dns : dnsNames) {
        if (dns.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
          return null;
        }
      }
      return "CA server certificate names DNS " + dnsNames + " (expected: " + name + ")";
    }

    private static boolean isIpLiteral(String text) {
      return text.indexOf(':') >= 0 || text.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private static InetAddress parseIp(String text) {
      try {
        // Only literals reach here, so no name lookup happens.
        return InetAddress.ofLiteral(text);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }
}
