package io.iotuplink.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Wraps an {@link SSLSocketFactory} so every socket it makes allows only the given TLS protocol versions and, when
 * asked, offers ALPN protocols that survive Paho's {@code setSSLParameters}; each is an {@link MqttTlsSocket}, whose
 * records are read through a buffer and whose writes share records.
 */
final class TlsProtocolsSocketFactory extends SSLSocketFactory {

    private final SSLSocketFactory delegate;
    private final String[] protocols;
    private final List<String> alpn;

    TlsProtocolsSocketFactory(SSLSocketFactory delegate, String[] protocols, List<String> alpn) {
        this.delegate = delegate;
        this.protocols = protocols.clone();
        this.alpn = List.copyOf(alpn);
    }

    private Socket restrict(Socket socket) {
        return restrict(socket, null);
    }

    /** {@code layering}: the factory to layer TLS over a buffered TCP socket when an unconnected one connects. */
    private Socket restrict(Socket socket, SSLSocketFactory layering) {
        if (socket instanceof SSLSocket ssl) {
            ssl.setEnabledProtocols(protocols);
            return new MqttTlsSocket(ssl, layering, alpn);
        }
        return socket;
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
        return restrict(delegate.createSocket(), delegate);
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        return restrict(delegate.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
        return restrict(delegate.createSocket(s, consumed, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return restrict(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return restrict(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return restrict(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return restrict(delegate.createSocket(address, port, localAddress, localPort));
    }
}
