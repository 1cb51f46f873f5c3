package io.iotuplink.tls;

import io.iotuplink.config.ConfigReader;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the PEM files AWS IoT hands out (device certificate, private key as PKCS#1, PKCS#8 or EC, root CA)
 * with BouncyCastle, and says precisely what is wrong with each. Key material never reaches a message.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /** The certificate chain, key and trust anchors, or every problem found, one line each. */
    public static Loaded load(Path certPath, Path keyPath, Path caPath) {
        List<String> problems = new ArrayList<>();
        String certVar = ConfigReader.envName("aws.iot.cert-path");
        String keyVar = ConfigReader.envName("aws.iot.key-path");
        String caVar = ConfigReader.envName("aws.iot.ca-path");
        List<X509Certificate> chain = certificates(certVar, certPath,
                "download it from the AWS IoT console when you create the certificate", problems);
        PrivateKey key = privateKey(keyVar, keyPath, problems);
        List<X509Certificate> cas = certificates(caVar, caPath,
                "download AmazonRootCA1.pem from https://www.amazontrust.com/repository/", problems);
        // a certificate outside its validity is no configuration problem: the clock is most often what is wrong
        // (CertificateValidity warns and the bundle connects once it is right)
        if (!chain.isEmpty() && key != null && !matches(key, chain.get(0))) {
            problems.add(keyVar + "=" + keyPath + ": key does not match the certificate in " + certVar + "="
                    + certPath + " (use the private key downloaded together with that certificate)");
        }
        return new Loaded(chain, key, cas, List.copyOf(problems));
    }

    /** What {@link #load} read; {@code problems} is empty when everything can be used. */
    public record Loaded(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> trustAnchors,
            List<String> problems) {
    }

    private static List<X509Certificate> certificates(String var, Path path, String hint, List<String> problems) {
        List<X509Certificate> certs = new ArrayList<>();
        if (path == null) {
            return certs;
        }
        try (Reader reader = open(path); PEMParser parser = new PEMParser(reader)) {
            Object item;
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder) {
                    certs.add(converter.getCertificate(holder));
                }
            }
            if (certs.isEmpty()) {
                problems.add(var + "=" + path + ": not a PEM certificate (expected a -----BEGIN CERTIFICATE----- block)");
            }
        } catch (NoSuchFileException e) {
            problems.add(var + "=" + path + ": file not found (" + hint + ")");
        } catch (AccessDeniedException e) {
            problems.add(var + "=" + path + ": file cannot be read (permission denied; the bundle runs as "
                    + System.getProperty("user.name") + ")");
        } catch (IOException | CertificateException | RuntimeException e) {
            problems.add(var + "=" + path + ": not a PEM certificate (" + describe(e) + ")");
        }
        return certs;
    }

    private static PrivateKey privateKey(String var, Path path, List<String> problems) {
        if (path == null) {
            return null;
        }
        String notKey = var + "=" + path + ": not a PEM private key (expected a PEM block of type RSA PRIVATE KEY,"
                + " as the AWS console downloads it, PRIVATE KEY (PKCS#8) or EC PRIVATE KEY)";
        try (Reader reader = open(path); PEMParser parser = new PEMParser(reader)) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (item instanceof PEMEncryptedKeyPair || item instanceof PKCS8EncryptedPrivateKeyInfo) {
                    problems.add(var + "=" + path + ": the private key is encrypted; give it unencrypted"
                            + " (openssl pkey -in key.pem -out private.pem.key) and protect the file instead");
                    return null;
                }
            }
            problems.add(notKey);
        } catch (NoSuchFileException e) {
            problems.add(var + "=" + path + ": file not found (download it from the AWS IoT console when you"
                    + " create the certificate; it is offered only once)");
        } catch (AccessDeniedException e) {
            problems.add(var + "=" + path + ": file cannot be read (permission denied; the bundle runs as "
                    + System.getProperty("user.name") + ")");
        } catch (IOException | RuntimeException e) {
            // the parser's own message may quote the file's content, so it is not repeated here
            problems.add(notKey);
        }
        return null;
    }

    /** Whether the key signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static Reader open(Path path) throws IOException {
        return Files.newBufferedReader(path, StandardCharsets.ISO_8859_1);
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
