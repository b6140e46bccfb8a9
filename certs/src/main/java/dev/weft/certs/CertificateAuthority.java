package dev.weft.certs;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The Weft certificate authority: signs workload CSRs into SPIFFE X.509 leaf certificates.
 *
 * <p>The CA either creates its own self-signed root or is plugged into an existing PKI by loading
 * an intermediate (or root) key and chain, so that workload certificates chain up to the
 * organisation's root:
 *
 * <pre>{@code
 * // Stand-alone mesh with its own root:
 * CertificateAuthority ca = CertificateAuthority.builder(TrustDomain.of("cluster.local")).selfSigned();
 *
 * // Chained to an existing PKI (key + chain "intermediate, ..., root" in PEM):
 * CertificateAuthority ca = CertificateAuthority.builder(TrustDomain.of("cluster.local"))
 *     .leafTtl(Duration.ofHours(12))
 *     .loadPem(Files.readString(keyFile), Files.readString(chainFile));
 *
 * CertificateChain chain = ca.sign(csr, SpiffeId.forWorkload(td, "shop", "cart"));
 * }</pre>
 *
 * <p>The identity to certify is always the caller's argument, the identity the CA service
 * authenticated; it is never taken from the CSR. A CSR that asks for any other URI SAN is refused.
 * Leaves carry exactly one URI SAN, keyUsage digitalSignature (critical), extendedKeyUsage
 * serverAuth + clientAuth, basicConstraints CA:false (critical), subject and authority key
 * identifiers and a random positive 128-bit serial number. Their notBefore is backdated by {@link
 * Builder#backdate(Duration)} to tolerate clock skew between nodes, and their notAfter never passes
 * the issuing chain's.
 *
 * <p>Instances are immutable and thread-safe. {@link #toString()} never reveals the key.
 */
public final class CertificateAuthority {

  /** Default lifetime of workload certificates. */
  public static final Duration DEFAULT_LEAF_TTL = Duration.ofHours(24);
  /** Default longest lifetime a caller may request for a workload certificate. */
  public static final Duration DEFAULT_MAX_LEAF_TTL = Duration.ofDays(7);
  /** Default amount notBefore is moved into the past to tolerate clock skew. */
  public static final Duration DEFAULT_BACKDATE = Duration.ofMinutes(5);
  /** Default lifetime of a self-signed root. */
  public static final Duration DEFAULT_ROOT_TTL = Duration.ofDays(3650);

  private static final int MIN_RSA_BITS = 2048;

  private final TrustDomain trustDomain;
  private final PrivateKey signingKey;
  private final List<X509Certificate> chain;
  private final CertificateChain issuerChain;
  private final Instant chainNotAfter;
  private final Duration leafTtl;
  private final Duration maxLeafTtl;
  private final Duration backdate;
  private final Clock clock;
  private final SecureRandom random;

  private CertificateAuthority(Builder builder, PrivateKey signingKey, List<X509Certificate> chain) {
    this.trustDomain = builder.trustDomain;
    this.signingKey = signingKey;
    this.chain = List.copyOf(chain);
    this.leafTtl = builder.leafTtl;
    this.maxLeafTtl = builder.maxLeafTtl;
    this.backdate = builder.backdate;
    this.clock = builder.clock;
    this.random = builder.random;
    // Leaves carry the issuing certificate and any intermediates; a trailing self-signed root is
    // the peers' trust anchor and comes from their bundle instead.
    List<X509Certificate> issuers = new ArrayList<>(this.chain);
    if (issuers.size() > 1 && Certificates.isSelfSigned(issuers.getLast())) {
      issuers.removeLast();
    }
    this.issuerChain = this.chain.size() == 1 && Certificates.isSelfSigned(this.chain.getFirst())
        ? null
        : new CertificateChain(issuers);
    this.chainNotAfter = this.chain.stream()
        .map(c -> c.getNotAfter().toInstant())
        .min(Instant::compareTo)
        .orElseThrow();
  }

  /**
   * Starts configuring a CA for {@code trustDomain}.
   *
   * @param trustDomain the trust domain every certificate this CA issues belongs to
   * @return a builder with default settings
   */
  public static Builder builder(TrustDomain trustDomain) {
    return new Builder(trustDomain);
  }

  /** Returns the trust domain this CA issues identities in. */
  public TrustDomain trustDomain() {
    return trustDomain;
  }

  /** Returns the certificate whose key signs leaves. */
  public X509Certificate certificate() {
    return chain.getFirst();
  }

  /** Returns the CA's full chain as loaded or created: issuing certificate first, root (if known) last. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /**
   * Returns the root to put in trust bundles: the last certificate of the CA's chain. For a CA
   * loaded without its root this is the topmost intermediate given, which works as a trust anchor
   * but is better replaced by the real root.
   */
  public X509Certificate rootCertificate() {
    return chain.getLast();
  }

  /** Returns the default lifetime of leaves. */
  public Duration leafTtl() {
    return leafTtl;
  }

  /**
   * Signs a workload CSR with the default lifetime.
   *
   * @see #sign(PKCS10CertificationRequest, SpiffeId, Duration)
   */
  public CertificateChain sign(PKCS10CertificationRequest csr, SpiffeId identity) {
    return sign(csr, identity, leafTtl);
  }

  /**
   * Signs a workload CSR into a leaf certificate for {@code identity}.
   *
   * <p>The CSR's signature is verified and its key must be EC P-256/P-384 or RSA of at least 2048
   * bits. Its subject and any requested extensions are ignored, except that a requested URI SAN
   * other than {@code identity} makes the request fail. Lifetimes above the configured maximum are
   * cut to the maximum, and notAfter never passes the CA chain's notAfter.
   *
   * @param csr the workload's PKCS#10 request
   * @param identity the authenticated identity of the caller; the only URI SAN of the leaf
   * @param ttl requested lifetime, counted from now
   * @return the leaf followed by the CA's intermediates (without a self-signed root)
   * @throws CsrRejectedException if the CSR is invalid or asks for another identity
   * @throws IllegalArgumentException if {@code identity} is outside this CA's trust domain or {@code ttl} is not positive
   * @throws IllegalStateException if the CA certificate has expired or is not yet valid
   */
  public CertificateChain sign(PKCS10CertificationRequest csr, SpiffeId identity, Duration ttl) {
    Objects.requireNonNull(csr, "csr");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(ttl, "ttl");
    if (!identity.isMemberOf(trustDomain)) {
      throw new IllegalArgumentException("identity " + identity + " is in trust domain " + identity.trustDomain()
          + " (expected: " + trustDomain + ")");
    }
    if (identity.path().isEmpty()) {
      throw new IllegalArgumentException("identity " + identity + " has no path (expected: a workload ID such as "
          + SpiffeId.PREFIX + trustDomain + "/ns/<namespace>/sa/<service-account>)");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
    }
    PublicKey publicKey = checkCsr(csr, identity);

    Instant now = clock.instant();
    Validity validity = leafValidity(now, ttl.compareTo(maxLeafTtl) > 0 ? maxLeafTtl : ttl);
    X509Certificate issuer = certificate();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        issuer, newSerial(random), Date.from(validity.notBefore()), Date.from(validity.notAfter()),
        new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), publicKey);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      // The subject is empty, so RFC 5280 requires the SAN to be critical.
      builder.addExtension(Extension.subjectAlternativeName, true, uriSan(identity));
      builder.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(Certificates.keyIdFor(publicKey)));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          new AuthorityKeyIdentifier(Certificates.subjectKeyId(issuer)));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode leaf extensions for " + identity, e);
    }
    X509Certificate leaf = build(builder, signingKey);
    List<X509Certificate> result = new ArrayList<>();
    result.add(leaf);
    if (issuerChain != null) {
      result.addAll(issuerChain.certificates());
    }
    return new CertificateChain(result);
  }

  /**
   * Issues an intermediate CA certificate for another key, signed by this CA: for example a
   * per-cluster Weft CA under an organisation-wide one. The intermediate carries the trust
   * domain's SPIFFE ID as its URI SAN.
   *
   * @param publicKey the intermediate's public key
   * @param commonName the intermediate's subject CN
   * @param ttl requested lifetime; notAfter never passes this CA's chain
   * @return the intermediate followed by this CA's full chain, ready for {@link Builder#load}
   */
  public CertificateChain issueIntermediate(PublicKey publicKey, String commonName, Duration ttl) {
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(commonName, "commonName");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
    }
    Validity validity = leafValidity(clock.instant(), ttl);
    X509Certificate issuer = certificate();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        issuer, newSerial(random), Date.from(validity.notBefore()), Date.from(validity.notAfter()),
        caName(commonName), publicKey);
    addCaExtensions(builder, trustDomain, publicKey, Certificates.subjectKeyId(issuer));
    List<X509Certificate> result = new ArrayList<>();
    result.add(build(builder, signingKey));
    result.addAll(chain);
    return new CertificateChain(result);
  }

  /** Describes the CA; the key appears only as its algorithm. */
  @Override
  public String toString() {
    return "CertificateAuthority[trustDomain=" + trustDomain + ", certificate=" + Certificates.describe(certificate())
        + ", chainLength=" + chain.size() + ", leafTtl=" + leafTtl + ", signingKey=<" + signingKey.getAlgorithm()
        + " key redacted>]";
  }

  private record Validity(Instant notBefore, Instant notAfter) {}

  private Validity leafValidity(Instant now, Duration ttl) {
    X509Certificate issuer = certificate();
    Instant issuerNotBefore = issuer.getNotBefore().toInstant();
    if (!now.isBefore(chainNotAfter)) {
      throw new IllegalStateException("CA chain expired at " + chainNotAfter + " (now " + now
          + "); install a new CA certificate");
    }
    if (now.isBefore(issuerNotBefore)) {
      throw new IllegalStateException("CA certificate " + Certificates.describe(issuer) + " is not valid until "
          + issuerNotBefore + " (now " + now + ")");
    }
    Instant notBefore = now.minus(backdate);
    if (notBefore.isBefore(issuerNotBefore)) {
      notBefore = issuerNotBefore;
    }
    Instant notAfter = now.plus(ttl);
    if (notAfter.isAfter(chainNotAfter)) {
      notAfter = chainNotAfter;
    }
    return new Validity(notBefore, notAfter);
  }

  /** Verifies the CSR and returns its public key, or throws naming what is wrong. */
  private static PublicKey checkCsr(PKCS10CertificationRequest csr, SpiffeId identity) {
    SubjectPublicKeyInfo keyInfo = csr.getSubjectPublicKeyInfo();
    PublicKey publicKey;
    try {
      publicKey = new JcaPEMKeyConverter().getPublicKey(keyInfo);
    } catch (Exception e) {
      throw new CsrRejectedException("CSR public key cannot be decoded: " + e.getMessage(), e);
    }
    checkKey(keyInfo, publicKey);
    try {
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(keyInfo))) {
        throw new CsrRejectedException("CSR signature does not verify with its own public key"
            + " (expected: the request signed by the key it certifies)");
      }
    } catch (OperatorCreationException | PKCSException e) {
      throw new CsrRejectedException("CSR signature cannot be checked: " + e.getMessage(), e);
    }
    Extensions requested = csr.getRequestedExtensions();
    if (requested != null) {
      GeneralNames sans = GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName);
      if (sans != null) {
        for (GeneralName name : sans.getNames()) {
          if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
            String uri = name.getName().toString();
            if (!uri.equals(identity.toString())) {
              throw new CsrRejectedException("CSR requests URI SAN \"" + uri + "\" but the caller is authenticated as "
                  + identity + " (expected: no URI SAN or exactly " + identity + ")");
            }
          }
        }
      }
    }
    return publicKey;
  }

  private static void checkKey(SubjectPublicKeyInfo keyInfo, PublicKey publicKey) {
    ASN1ObjectIdentifier algorithm = keyInfo.getAlgorithm().getAlgorithm();
    if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      AlgorithmIdentifier id = keyInfo.getAlgorithm();
      Object curve = id.getParameters();
      if (!(curve instanceof ASN1ObjectIdentifier oid)
          || !(oid.equals(SECObjectIdentifiers.secp256r1) || oid.equals(SECObjectIdentifiers.secp384r1))) {
        throw new CsrRejectedException("CSR key uses EC curve " + curve
            + " (expected: P-256 " + SECObjectIdentifiers.secp256r1 + " or P-384 " + SECObjectIdentifiers.secp384r1 + ")");
      }
      return;
    }
    if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption) && publicKey instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      if (bits < MIN_RSA_BITS) {
        throw new CsrRejectedException("CSR RSA key has " + bits + " bits (expected: >= " + MIN_RSA_BITS + ")");
      }
      return;
    }
    throw new CsrRejectedException("CSR key algorithm " + algorithm + " (" + publicKey.getAlgorithm()
        + ") is not supported (expected: EC P-256, EC P-384 or RSA >= " + MIN_RSA_BITS + " bits)");
  }

  private static GeneralNames uriSan(SpiffeId id) {
    return new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString()));
  }

  private static X500Name caName(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Weft")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  private static void addCaExtensions(
      X509v3CertificateBuilder builder, TrustDomain trustDomain, PublicKey publicKey, byte[] authorityKeyId) {
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectAlternativeName, false, uriSan(trustDomain.spiffeId()));
      builder.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(Certificates.keyIdFor(publicKey)));
      builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(authorityKeyId));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode CA extensions", e);
    }
  }

  private static BigInteger newSerial(SecureRandom random) {
    // RFC 5280 serials are positive and at most 20 octets; 128 random bits is well within that.
    BigInteger serial;
    do {
      byte[] bytes = new byte[16];
      random.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }

  private static X509Certificate build(X509v3CertificateBuilder builder, PrivateKey key) {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(KeyType.signatureAlgorithmFor(key)).build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException | CertificateException e) {
      throw new IllegalStateException("cannot sign certificate with " + key.getAlgorithm() + " CA key", e);
    }
  }

  /**
   * Configures and creates a {@link CertificateAuthority}. Finish with {@link #selfSigned()}, {@link
   * #load(PrivateKey, List)} or {@link #loadPem(String, String)}.
   */
  public static final class Builder {

    private final TrustDomain trustDomain;
    private Duration leafTtl = DEFAULT_LEAF_TTL;
    private Duration maxLeafTtl = DEFAULT_MAX_LEAF_TTL;
    private Duration backdate = DEFAULT_BACKDATE;
    private Duration rootTtl = DEFAULT_ROOT_TTL;
    private KeyType rootKeyType = KeyType.EC_P256;
    private Clock clock = Clock.systemUTC();
    private SecureRandom random = new SecureRandom();

    private Builder(TrustDomain trustDomain) {
      this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    }

    /** Sets the default lifetime of leaves (default {@link CertificateAuthority#DEFAULT_LEAF_TTL}, 24 h). */
    public Builder leafTtl(Duration ttl) {
      this.leafTtl = positive("leafTtl", ttl);
      return this;
    }

    /** Sets the longest lifetime a caller may request (default {@link CertificateAuthority#DEFAULT_MAX_LEAF_TTL}, 7 days). */
    public Builder maxLeafTtl(Duration ttl) {
      this.maxLeafTtl = positive("maxLeafTtl", ttl);
      return this;
    }

    /** Sets how far notBefore is moved into the past for clock skew (default 5 minutes; 0 disables). */
    public Builder backdate(Duration backdate) {
      Objects.requireNonNull(backdate, "backdate");
      if (backdate.isNegative()) {
        throw new IllegalArgumentException("backdate: " + backdate + " (expected: >= 0)");
      }
      this.backdate = backdate;
      return this;
    }

    /** Sets the lifetime of a self-signed root (default 10 years). */
    public Builder rootTtl(Duration ttl) {
      this.rootTtl = positive("rootTtl", ttl);
      return this;
    }

    /** Sets the key type of a self-signed root (default {@link KeyType#EC_P256}). */
    public Builder rootKeyType(KeyType keyType) {
      this.rootKeyType = Objects.requireNonNull(keyType, "keyType");
      return this;
    }

    /** Sets the clock that dates certificates (default the system UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Sets the randomness for keys and serial numbers (default a new {@link SecureRandom}). */
    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Generates a root key and a self-signed root certificate ({@code O=Weft, CN=Weft root CA
     * <trust domain>}, URI SAN {@code spiffe://<trust domain>}) and returns a CA that signs with it.
     */
    public CertificateAuthority selfSigned() {
      if (leafTtl.compareTo(maxLeafTtl) > 0) {
        throw new IllegalArgumentException("leafTtl: " + leafTtl + " (expected: <= maxLeafTtl " + maxLeafTtl + ")");
      }
      KeyPair keyPair = rootKeyType.generate(random);
      Instant now = clock.instant();
      X500Name name = caName("Weft root CA " + trustDomain);
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          name, newSerial(random), Date.from(now.minus(backdate)), Date.from(now.plus(rootTtl)), name, keyPair.getPublic());
      addCaExtensions(builder, trustDomain, keyPair.getPublic(), Certificates.keyIdFor(keyPair.getPublic()));
      X509Certificate root = build(builder, keyPair.getPrivate());
      return new CertificateAuthority(this, keyPair.getPrivate(), List.of(root));
    }

    /**
     * Returns a CA that signs with an existing CA key: a root, or an intermediate of another PKI.
     *
     * @param signingKey the private key of {@code chain.get(0)}
     * @param chain the issuing certificate first, then its issuers, optionally ending with the root
     * @throws IllegalArgumentException if the first certificate is not a CA with keyCertSign, the
     *     key does not match it, the chain is out of order, or the chain is outside its validity
     */
    public CertificateAuthority load(PrivateKey signingKey, List<X509Certificate> chain) {
      Objects.requireNonNull(signingKey, "signingKey");
      Objects.requireNonNull(chain, "chain");
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("CA chain is empty (expected: the issuing CA certificate first)");
      }
      if (leafTtl.compareTo(maxLeafTtl) > 0) {
        throw new IllegalArgumentException("leafTtl: " + leafTtl + " (expected: <= maxLeafTtl " + maxLeafTtl + ")");
      }
      for (int i = 0; i < chain.size(); i++) {
        String problem = Certificates.signingCaProblem(chain.get(i));
        if (problem != null) {
          throw new IllegalArgumentException("CA chain certificate " + i + ": " + problem);
        }
      }
      X509Certificate issuing = chain.getFirst();
      if (!Certificates.keysMatch(signingKey, issuing.getPublicKey())) {
        throw new IllegalArgumentException("CA private key (" + signingKey.getAlgorithm()
            + ") does not belong to the issuing certificate " + Certificates.describe(issuing)
            + " (expected: the key of the first certificate in the chain)");
      }
      for (int i = 0; i + 1 < chain.size(); i++) {
        X509Certificate child = chain.get(i);
        X509Certificate parent = chain.get(i + 1);
        if (!child.getIssuerX500Principal().equals(parent.getSubjectX500Principal())) {
          throw new IllegalArgumentException("CA chain certificate " + i + " is issued by \""
              + child.getIssuerX500Principal().getName() + "\" but certificate " + (i + 1) + " is \""
              + parent.getSubjectX500Principal().getName() + "\" (expected: each certificate followed by its issuer)");
        }
        try {
          child.verify(parent.getPublicKey());
        } catch (GeneralSecurityException e) {
          throw new IllegalArgumentException("CA chain certificate " + i + " " + Certificates.describe(child)
              + " is not signed by certificate " + (i + 1) + " " + Certificates.describe(parent) + ": " + e.getMessage(), e);
        }
      }
      Instant now = clock.instant();
      for (int i = 0; i < chain.size(); i++) {
        X509Certificate certificate = chain.get(i);
        if (!now.isBefore(certificate.getNotAfter().toInstant())) {
          throw new IllegalArgumentException("CA chain certificate " + i + " " + Certificates.describe(certificate)
              + " expired at " + certificate.getNotAfter().toInstant() + " (now " + now + ")");
        }
      }
      try {
        SpiffeId caId = SpiffeId.fromCertificate(issuing);
        if (!caId.isMemberOf(trustDomain)) {
          throw new IllegalArgumentException("CA certificate " + Certificates.describe(issuing) + " names trust domain "
              + caId.trustDomain() + " (expected: " + trustDomain + ")");
        }
      } catch (InvalidSpiffeIdException e) {
        // A CA from another PKI need not carry a SPIFFE ID; only a conflicting one is an error.
      }
      return new CertificateAuthority(this, signingKey, chain);
    }

    /**
     * Loads the CA key and chain from PEM text.
     *
     * @param privateKeyPem the issuing CA's private key (PKCS#8, or traditional EC/RSA)
     * @param chainPem the issuing CA certificate first, then its issuers
     * @see #load(PrivateKey, List)
     */
    public CertificateAuthority loadPem(String privateKeyPem, String chainPem) {
      return load(Pem.readPrivateKey(privateKeyPem), Pem.readCertificates(chainPem));
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
      }
      return value;
    }
  }
}
