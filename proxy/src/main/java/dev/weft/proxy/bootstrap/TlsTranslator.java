package dev.weft.proxy.bootstrap;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.weft.proxy.config.SanMatcher;
import dev.weft.proxy.config.TlsConfig;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Translates Envoy's TLS transport sockets ({@code envoy.transport_sockets.tls}) into
 * {@link TlsConfig}. Secret names (SDS) resolve to {@code static_resources.secrets} when
 * defined there; other names stay named and are served at run time by the sidecar's secret
 * providers (its workload identity: "default" for the certificate, "ROOTCA" for the roots).
 */
final class TlsTranslator {
  static final String TLS_SOCKET = "envoy.transport_sockets.tls";
  static final String DOWNSTREAM = "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";
  static final String UPSTREAM = "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
  private static final String RAW_BUFFER = "envoy.transport_sockets.raw_buffer";

  /** Receives translation errors. */
  interface Errors {
    void error(String path, String message);
  }

  /** The translator's own string-matcher translation, shared with routes and RBAC. */
  interface StringMatchers {
    dev.weft.proxy.config.StringMatcher translate(StringMatcher m, String path);
  }

  private final Map<String, Secret> secrets;
  private final Errors errors;
  private final StringMatchers strings;

  TlsTranslator(Map<String, Secret> secrets, Errors errors, StringMatchers strings) {
    this.secrets = secrets;
    this.errors = errors;
    this.strings = strings;
  }

  /** The server side of a filter chain's transport socket, or null for plaintext. */
  TlsConfig downstream(TransportSocket socket, String path) {
    Any config = tlsConfig(socket, path, DOWNSTREAM);
    if (config == null) {
      return null;
    }
    DownstreamTlsContext d;
    try {
      d = Protos.unpack(config, DownstreamTlsContext.getDefaultInstance());
    } catch (InvalidProtocolBufferException e) {
      errors.error(path + ".typed_config", "cannot decode DownstreamTlsContext: " + e.getMessage());
      return null;
    }
    String p = path + ".typed_config.common_tls_context";
    boolean requireClient = d.hasRequireClientCertificate() && d.getRequireClientCertificate().getValue();
    TlsConfig tls = common(d.getCommonTlsContext(), p, requireClient, null);
    if (tls != null && tls.certificate() == null) {
      errors.error(p, "a server needs a certificate: tls_certificates or tls_certificate_sds_secret_configs");
    }
    if (tls != null && requireClient && tls.trust() == null) {
      errors.error(p, "require_client_certificate needs a validation context with trusted roots");
    }
    return tls;
  }

  /** The client side of a cluster's transport socket, or null for plaintext. */
  TlsConfig upstream(TransportSocket socket, String path) {
    Any config = tlsConfig(socket, path, UPSTREAM);
    if (config == null) {
      return null;
    }
    UpstreamTlsContext u;
    try {
      u = Protos.unpack(config, UpstreamTlsContext.getDefaultInstance());
    } catch (InvalidProtocolBufferException e) {
      errors.error(path + ".typed_config", "cannot decode UpstreamTlsContext: " + e.getMessage());
      return null;
    }
    TlsConfig tls = common(u.getCommonTlsContext(), path + ".typed_config.common_tls_context", false,
        u.getSni().isEmpty() ? null : u.getSni());
    if (tls != null && tls.trust() == null) {
      // Envoy would connect without verifying the server; in a mesh that is never what is meant.
      errors.error(path + ".typed_config.common_tls_context", "a validation context with trusted roots is required "
          + "(Weft always verifies upstream servers)");
    }
    return tls;
  }

  private Any tlsConfig(TransportSocket socket, String path, String expectedType) {
    String type = socket.getTypedConfig().getTypeUrl();
    type = type.substring(type.lastIndexOf('/') + 1);
    if (socket.getName().equals(RAW_BUFFER) && !socket.hasTypedConfig()) {
      return null;
    }
    if (!expectedType.equals(type)) {
      errors.error(path, "transport socket '" + socket.getName() + "' needs typed_config of type " + expectedType);
      return null;
    }
    return socket.getTypedConfig();
  }

  private TlsConfig common(CommonTlsContext c, String path, boolean requireClient, String sni) {
    TlsConfig.CertificateSource cert = null;
    if (c.getTlsCertificatesCount() + c.getTlsCertificateSdsSecretConfigsCount() > 1) {
      errors.error(path, "one certificate is supported (tls_certificates or tls_certificate_sds_secret_configs)");
    } else if (c.getTlsCertificatesCount() == 1) {
      cert = certificate(c.getTlsCertificates(0), path + ".tls_certificates[0]");
    } else if (c.getTlsCertificateSdsSecretConfigsCount() == 1) {
      cert = namedCertificate(c.getTlsCertificateSdsSecretConfigs(0).getName(),
          path + ".tls_certificate_sds_secret_configs[0]");
    }
    TlsConfig.TrustSource trust = null;
    List<SanMatcher> sans = List.of();
    switch (c.getValidationContextTypeCase()) {
      case VALIDATION_CONTEXT -> {
        trust = trust(c.getValidationContext(), path + ".validation_context");
        sans = sanMatchers(c.getValidationContext(), path + ".validation_context");
      }
      case VALIDATION_CONTEXT_SDS_SECRET_CONFIG -> {
        String p = path + ".validation_context_sds_secret_config";
        CertificateValidationContext v = namedValidation(c.getValidationContextSdsSecretConfig().getName(), p);
        trust = v != null ? trust(v, p) : new TlsConfig.TrustSource.Named(c.getValidationContextSdsSecretConfig().getName());
        sans = v != null ? sanMatchers(v, p) : List.of();
      }
      case COMBINED_VALIDATION_CONTEXT -> {
        var combined = c.getCombinedValidationContext();
        String p = path + ".combined_validation_context";
        String name = combined.getValidationContextSdsSecretConfig().getName();
        CertificateValidationContext v = namedValidation(name, p + ".validation_context_sds_secret_config");
        if (combined.getDefaultValidationContext().hasTrustedCa()) {
          trust = trust(combined.getDefaultValidationContext(), p + ".default_validation_context");
        } else if (v != null) {
          trust = trust(v, p + ".validation_context_sds_secret_config");
        } else if (!name.isEmpty()) {
          trust = new TlsConfig.TrustSource.Named(name);
        }
        List<SanMatcher> all = new ArrayList<>(sanMatchers(combined.getDefaultValidationContext(),
            p + ".default_validation_context"));
        if (v != null) {
          all.addAll(sanMatchers(v, p + ".validation_context_sds_secret_config"));
        }
        sans = all;
      }
      default -> {
        // no validation context
      }
    }
    String min = "TLSv1.2";
    String max = "TLSv1.3";
    if (c.hasTlsParams()) {
      TlsParameters t = c.getTlsParams();
      min = version(t.getTlsMinimumProtocolVersion(), "TLSv1.2", path + ".tls_params.tls_minimum_protocol_version");
      max = version(t.getTlsMaximumProtocolVersion(), "TLSv1.3", path + ".tls_params.tls_maximum_protocol_version");
      if (min.compareTo(max) > 0) {
        errors.error(path + ".tls_params", "minimum " + min + " is above maximum " + max);
      }
    }
    for (int i = 0; i < c.getAlpnProtocolsCount(); i++) {
      String a = c.getAlpnProtocols(i);
      if (!a.equals("h2") && !a.equals("http/1.1")) {
        errors.error(path + ".alpn_protocols[" + i + "]", "'" + a + "' (expected: h2 or http/1.1)");
      }
    }
    return new TlsConfig(cert, trust, sans, c.getAlpnProtocolsList(), min, max, requireClient, sni);
  }

  private String version(TlsParameters.TlsProtocol v, String dflt, String path) {
    return switch (v) {
      case TLS_AUTO -> dflt;
      case TLSv1_2 -> "TLSv1.2";
      case TLSv1_3 -> "TLSv1.3";
      default -> {
        errors.error(path, v + " (expected: TLS_AUTO, TLSv1_2 or TLSv1_3)");
        yield dflt;
      }
    };
  }

  private TlsConfig.CertificateSource certificate(TlsCertificate t, String path) {
    DataSource chain = t.getCertificateChain();
    DataSource key = t.getPrivateKey();
    if (chain.hasFilename() && key.hasFilename()) {
      return new TlsConfig.CertificateSource.Files(chain.getFilename(), key.getFilename());
    }
    String chainPem = inline(chain, path + ".certificate_chain");
    String keyPem = inline(key, path + ".private_key");
    if (chainPem == null || keyPem == null) {
      return null;
    }
    return new TlsConfig.CertificateSource.Inline(chainPem, keyPem);
  }

  private String inline(DataSource d, String path) {
    return switch (d.getSpecifierCase()) {
      case INLINE_STRING -> d.getInlineString();
      case INLINE_BYTES -> d.getInlineBytes().toString(StandardCharsets.UTF_8);
      case FILENAME -> {
        errors.error(path, "give both certificate_chain and private_key as files, or both inline");
        yield null;
      }
      default -> {
        errors.error(path, "a PEM filename or inline value is required");
        yield null;
      }
    };
  }

  private TlsConfig.CertificateSource namedCertificate(String name, String path) {
    Secret s = secrets.get(name);
    if (s == null) {
      return new TlsConfig.CertificateSource.Named(name);
    }
    if (!s.hasTlsCertificate()) {
      errors.error(path + ".name", "secret '" + name + "' has no tls_certificate");
      return null;
    }
    return certificate(s.getTlsCertificate(), "static_resources.secrets[" + name + "].tls_certificate");
  }

  private CertificateValidationContext namedValidation(String name, String path) {
    if (name.isEmpty()) {
      return null;
    }
    Secret s = secrets.get(name);
    if (s == null) {
      return null;
    }
    if (!s.hasValidationContext()) {
      errors.error(path + ".name", "secret '" + name + "' has no validation_context");
      return null;
    }
    return s.getValidationContext();
  }

  private TlsConfig.TrustSource trust(CertificateValidationContext v, String path) {
    if (!v.hasTrustedCa()) {
      return null;
    }
    DataSource ca = v.getTrustedCa();
    return switch (ca.getSpecifierCase()) {
      case FILENAME -> new TlsConfig.TrustSource.File(ca.getFilename());
      case INLINE_STRING -> new TlsConfig.TrustSource.Inline(ca.getInlineString());
      case INLINE_BYTES -> new TlsConfig.TrustSource.Inline(ca.getInlineBytes().toString(StandardCharsets.UTF_8));
      default -> {
        errors.error(path + ".trusted_ca", "a PEM filename or inline value is required");
        yield null;
      }
    };
  }

  private List<SanMatcher> sanMatchers(CertificateValidationContext v, String path) {
    List<SanMatcher> out = new ArrayList<>();
    for (int i = 0; i < v.getMatchTypedSubjectAltNamesCount(); i++) {
      SubjectAltNameMatcher m = v.getMatchTypedSubjectAltNames(i);
      String p = path + ".match_typed_subject_alt_names[" + i + "]";
      SanMatcher.Type type = switch (m.getSanType()) {
        case URI -> SanMatcher.Type.URI;
        case DNS -> SanMatcher.Type.DNS;
        case IP_ADDRESS -> SanMatcher.Type.IP_ADDRESS;
        case EMAIL -> SanMatcher.Type.EMAIL;
        default -> {
          errors.error(p + ".san_type", m.getSanType() + " (expected: URI, DNS, IP_ADDRESS or EMAIL)");
          yield null;
        }
      };
      SanMatcher s = type == null ? null : san(type, m.getMatcher(), p + ".matcher");
      if (s != null) {
        out.add(s);
      }
    }
    // The deprecated untyped form matches any SAN type; URI is what a mesh uses.
    for (int i = 0; i < v.getMatchSubjectAltNamesCount(); i++) {
      for (SanMatcher.Type t : SanMatcher.Type.values()) {
        SanMatcher s = san(t, v.getMatchSubjectAltNames(i), path + ".match_subject_alt_names[" + i + "]");
        if (s != null) {
          out.add(s);
        }
      }
    }
    return out;
  }

  private SanMatcher san(SanMatcher.Type type, StringMatcher m, String path) {
    dev.weft.proxy.config.StringMatcher matcher = strings.translate(m, path);
    return matcher == null ? null : new SanMatcher(type, matcher);
  }
}
