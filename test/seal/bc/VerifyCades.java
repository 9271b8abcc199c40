// An independent check of our seals with Bouncy Castle (strict about DER), compiled and run by
// test/seal/bouncy-castle.test.ts. Usage:
//   java VerifyCades <sig.p7s> <content> <ca.pem> [--tsa-ca <tsa-ca.pem>] [--require-timestamp]
// Prints one line per check and exits 0 only when every check passed.
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.Security;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;

public final class VerifyCades {
  private static int failures = 0;

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "OK   " : "FAIL ") + what);
    if (!ok) failures++;
  }

  private static X509Certificate readPem(String file) throws Exception {
    try (InputStream in = new FileInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** PKIX path from the certificate (with the given intermediates) to the anchor, no revocation. */
  private static boolean chains(X509Certificate leaf, Collection<X509Certificate> others, X509Certificate anchor) {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      List<X509Certificate> path = new ArrayList<>();
      path.add(leaf);
      X509Certificate current = leaf;
      for (int i = 0; i < 8 && !current.getIssuerX500Principal().equals(anchor.getSubjectX500Principal()); i++) {
        X509Certificate next = null;
        for (X509Certificate c : others) {
          if (c.getSubjectX500Principal().equals(current.getIssuerX500Principal()) && !c.equals(current)) next = c;
        }
        if (next == null) break;
        path.add(next);
        current = next;
      }
      PKIXParameters params = new PKIXParameters(Collections.singleton(new TrustAnchor(anchor, null)));
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
      return true;
    } catch (Exception e) {
      System.out.println("     " + e.getMessage());
      return false;
    }
  }

  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    byte[] sig = Files.readAllBytes(Paths.get(args[0]));
    byte[] content = Files.readAllBytes(Paths.get(args[1]));
    X509Certificate ca = readPem(args[2]);
    List<String> rest = Arrays.asList(args).subList(3, args.length);
    int t = rest.indexOf("--tsa-ca");
    X509Certificate tsaCa = t >= 0 ? readPem(rest.get(t + 1)) : null;
    boolean requireTimestamp = rest.contains("--require-timestamp");

    // BC re-encodes nothing it verifies: a signature over non-DER signed attributes fails here.
    ContentInfo ci = ContentInfo.getInstance(sig);
    check(Arrays.equals(ci.getEncoded(ASN1Encoding.DER), sig), "the signature file is DER");
    CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(content), ci);
    Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
    check(signers.size() == 1, "exactly one signer");
    SignerInformation signer = signers.iterator().next();
    Store<X509CertificateHolder> store = cms.getCertificates();
    @SuppressWarnings("unchecked")
    Collection<X509CertificateHolder> matches = store.getMatches(signer.getSID());
    check(matches.size() == 1, "the signer certificate is in the signature");
    X509CertificateHolder holder = matches.iterator().next();
    JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
    X509Certificate cert = conv.getCertificate(holder);
    check(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(holder)),
        "signature and messageDigest verify over the content");

    // As parsed (DL, order kept): each attribute's encoding must not sort before the previous one.
    ASN1Set signedSet = signer.toASN1Structure().getAuthenticatedAttributes();
    boolean sorted = true;
    for (int i = 1; i < signedSet.size(); i++) {
      byte[] a = signedSet.getObjectAt(i - 1).toASN1Primitive().getEncoded(ASN1Encoding.DER);
      byte[] b = signedSet.getObjectAt(i).toASN1Primitive().getEncoded(ASN1Encoding.DER);
      if (Arrays.compareUnsigned(a, b) > 0) sorted = false;
    }
    check(sorted, "signed attributes are in DER (sorted SET OF) order");

    List<X509Certificate> others = new ArrayList<>();
    for (X509CertificateHolder h : store.getMatches(null)) others.add(conv.getCertificate(h));
    check(chains(cert, others, ca), "the signer certificate chains to the CA");

    AttributeTable signed = signer.getSignedAttributes();
    Attribute scv2 = signed.get(PKCSObjectIdentifiers.id_aa_signingCertificateV2);
    check(scv2 != null, "signing-certificate-v2 attribute present");
    if (scv2 != null) {
      ESSCertIDv2 id = SigningCertificateV2.getInstance(scv2.getAttrValues().getObjectAt(0)).getCerts()[0];
      check(id.getHashAlgorithm().getAlgorithm().equals(NISTObjectIdentifiers.id_sha256), "ESSCertIDv2 hash is SHA-256");
      byte[] expected = MessageDigest.getInstance("SHA-256").digest(holder.getEncoded());
      check(Arrays.equals(id.getCertHash(), expected), "ESSCertIDv2 hash is the signer certificate's SHA-256");
      if (id.getIssuerSerial() != null) {
        GeneralName gn = id.getIssuerSerial().getIssuer().getNames()[0];
        check(X500Name.getInstance(gn.getName()).equals(holder.getIssuer())
            && id.getIssuerSerial().getSerial().getValue().equals(holder.getSerialNumber()),
            "ESSCertIDv2 issuerSerial names the signer certificate");
      }
    }

    AttributeTable unsigned = signer.getUnsignedAttributes();
    Attribute tst = unsigned == null ? null : unsigned.get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
    if (requireTimestamp) check(tst != null, "signature-time-stamp attribute present (CAdES-T)");
    if (tst != null) {
      ASN1Encodable value = tst.getAttrValues().getObjectAt(0);
      TimeStampToken token = new TimeStampToken(ContentInfo.getInstance(value));
      byte[] imprint = MessageDigest.getInstance(
          token.getTimeStampInfo().getMessageImprintAlgOID().equals(NISTObjectIdentifiers.id_sha256) ? "SHA-256" : "SHA-512")
          .digest(signer.getSignature());
      check(Arrays.equals(token.getTimeStampInfo().getMessageImprintDigest(), imprint),
          "time-stamp imprint is the hash of the signature value");
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> tsaCerts = token.getCertificates().getMatches(token.getSID());
      check(tsaCerts.size() == 1, "the TSA certificate is in the token");
      X509CertificateHolder tsaHolder = tsaCerts.iterator().next();
      boolean valid;
      try {
        token.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(tsaHolder));
        valid = true;
      } catch (Exception e) {
        System.out.println("     " + e.getMessage());
        valid = false;
      }
      check(valid, "TimeStampToken.validate (TSA signature, ESS certificate id, timeStamping EKU)");
      if (tsaCa != null) {
        check(chains(conv.getCertificate(tsaHolder), Collections.emptyList(), tsaCa), "the TSA certificate chains to the TSA CA");
      }
      System.out.println("     genTime " + token.getTimeStampInfo().getGenTime().toInstant());
    }
    System.out.println(failures == 0 ? "BC VERIFIED" : "BC FAILED " + failures);
    System.exit(failures == 0 ? 0 : 1);
  }
}
