package io.iotuplink.tls;

import io.iotuplink.ConfigurationException;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/** The mutual-TLS socket factory built from the device's PEM files: client certificate, key, trusted CAs. */
public final class PemTlsContext {

    /** TLS 1.2 and newer only; AWS IoT Core refuses older versions anyway. */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final SSLContext sslContext;
    private final X509Certificate deviceCertificate;

    private PemTlsContext(SSLContext sslContext, X509Certificate deviceCertificate) {
        this.sslContext = sslContext;
        this.deviceCertificate = deviceCertificate;
    }

    /** The context for files {@link PemFiles#load} read without problems. */
    public static PemTlsContext create(PemFiles.Loaded pem) {
        if (pem.chain().isEmpty()) {
            return serverOnly(pem.trustAnchors());
        }
        return create(pem.chain(), pem.key(), pem.trustAnchors());
    }

    /** No client certificate (token authentication): trusts these CAs, or the JDK's trust store when none. */
    static PemTlsContext serverOnly(List<X509Certificate> trustAnchors) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trustAnchors.isEmpty()) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                for (int i = 0; i < trustAnchors.size(); i++) {
                    trust.setCertificateEntry("ca-" + i, trustAnchors.get(i));
                }
                tmf.init(trust);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return new PemTlsContext(context, null);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new ConfigurationException("cannot build the TLS context: " + e.getMessage());
        }
    }

    static PemTlsContext create(List<X509Certificate> chain, java.security.PrivateKey key,
            List<X509Certificate> trustAnchors) {
        try {
            char[] transientPassword = new char[0];
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("device", key, transientPassword, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, transientPassword);

            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trustAnchors.size(); i++) {
                trust.setCertificateEntry("ca-" + i, trustAnchors.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);

            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return new PemTlsContext(context, chain.get(0));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new ConfigurationException("cannot build the TLS context from the PEM files: " + e.getMessage());
        }
    }

    /** A socket factory whose sockets speak TLS 1.2+ only; Paho adds SNI and hostname verification. */
    public SSLSocketFactory socketFactory() {
        return socketFactory(List.of());
    }

    /** The same, offering these ALPN protocols (AWS IoT Core on port 443 wants {@code x-amzn-mqtt-ca}). */
    public SSLSocketFactory socketFactory(List<String> alpn) {
        return new TlsProtocolsSocketFactory(sslContext.getSocketFactory(), PROTOCOLS, alpn);
    }

    /** The JDK's own socket factory for this context, without the bundle's socket (a baseline to compare with). */
    public SSLSocketFactory jdkSocketFactory() {
        return sslContext.getSocketFactory();
    }

    /** The ALPN protocols for a port: {@code x-amzn-mqtt-ca} for mutual TLS on 443, none on any other port. */
    public static List<String> alpnFor(int port) {
        return alpnFor(port, false);
    }

    /** On 443: {@code mqtt} for a custom authorizer, {@code x-amzn-mqtt-ca} for mutual TLS; none elsewhere. */
    public static List<String> alpnFor(int port, boolean customAuthorizer) {
        if (port != 443) {
            return List.of();
        }
        return List.of(customAuthorizer ? "mqtt" : "x-amzn-mqtt-ca");
    }

    public X509Certificate deviceCertificate() {
        return deviceCertificate;
    }
}
