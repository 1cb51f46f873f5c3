package io.iotuplink.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.function.BiFunction;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The TLS socket Paho is given for the broker connection. It keeps its ALPN protocols: Paho 1.2.5 calls
 * {@code setSSLParameters} with fresh {@code SSLParameters} (for SNI, then for hostname verification), which would
 * wipe the list AWS IoT Core needs on port 443. It reads TLS records through a buffer (the JDK reads each record's
 * header and body with a system call apiece, and a PUBACK is a record of its own), and it writes through a
 * {@link CoalescingOutputStream}, so a burst of publishes shares TLS records (when it made the connection itself,
 * as it does for Paho: it then holds the TCP socket under it, to abort a write stuck at close). Everything else is
 * the wrapped socket's.
 */
final class MqttTlsSocket extends SSLSocket {

    /** The TLS socket: unconnected until {@link #connect}, then the one layered over the buffered TCP socket. */
    private volatile SSLSocket socket;
    /** Makes the layered TLS socket on connect; null when the socket came connected. */
    private final SSLSocketFactory layering;
    private final String[] protocols;
    /** The TCP connection under the TLS socket, once this socket layered one over it. */
    private Socket tcp;
    private CoalescingOutputStream output;
    private boolean closed;

    /**
     * @param socket   the TLS socket as the JDK's factory made it, with the enabled protocols set
     * @param layering the JDK's factory, to layer TLS over a buffered TCP socket when this one connects (null: the
     *                 socket is connected already and is used as it is)
     * @param alpn     the ALPN protocols to offer, none for most ports
     */
    MqttTlsSocket(SSLSocket socket, SSLSocketFactory layering, List<String> alpn) {
        this.socket = socket;
        this.layering = layering;
        this.protocols = alpn.toArray(new String[0]);
        if (protocols.length > 0) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(protocols);
            socket.setSSLParameters(parameters);
        }
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        connect(endpoint, 0);
    }

    /**
     * Connects a TCP socket whose input is buffered and layers TLS over it, with the settings made so far (enabled
     * protocols, ALPN, anything Paho set).
     */
    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (layering == null || !(endpoint instanceof InetSocketAddress address)) {
            socket.connect(endpoint, timeout);
            return;
        }
        Socket tcp = new ReadBufferedSocket();
        try {
            tcp.connect(endpoint, timeout);
            SSLSocket layered = (SSLSocket) layering.createSocket(tcp, address.getHostString(), address.getPort(),
                    true);
            layered.setSSLParameters(socket.getSSLParameters());
            SSLSocket unconnected = socket;
            boolean closedMeanwhile;
            synchronized (this) {
                closedMeanwhile = closed;
                if (!closedMeanwhile) {
                    socket = layered;
                    this.tcp = tcp;
                }
            }
            unconnected.close();
            if (closedMeanwhile) {
                // closed while it was connecting (a client closed during its connect): nothing may stay open
                layered.close();
                throw new SocketException("the connection was closed while it was being made");
            }
        } catch (IOException | RuntimeException e) {
            tcp.close();
            throw e;
        }
    }

    private String peer() {
        return socket.getRemoteSocketAddress() instanceof InetSocketAddress address
                ? address.getHostString() + ":" + address.getPort() : String.valueOf(socket.getRemoteSocketAddress());
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
        String[] asked = params.getApplicationProtocols();
        if ((asked == null || asked.length == 0) && protocols.length > 0) {
            params.setApplicationProtocols(protocols);
        }
        socket.setSSLParameters(params);
    }

    @Override
    public SSLParameters getSSLParameters() {
        return socket.getSSLParameters();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return socket.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return socket.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        socket.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
        return socket.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return socket.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] enabled) {
        socket.setEnabledProtocols(enabled);
    }

    @Override
    public SSLSession getSession() {
        return socket.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
        return socket.getHandshakeSession();
    }

    @Override
    public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
        socket.addHandshakeCompletedListener(listener);
    }

    @Override
    public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
        socket.removeHandshakeCompletedListener(listener);
    }

    @Override
    public void startHandshake() throws IOException {
        socket.startHandshake();
    }

    @Override
    public void setUseClientMode(boolean mode) {
        socket.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
        return socket.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        socket.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
        return socket.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        socket.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
        return socket.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        socket.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
        return socket.getEnableSessionCreation();
    }

    @Override
    public String getApplicationProtocol() {
        return socket.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return socket.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLSocket, List<String>, String> selector) {
        socket.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLSocket, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return socket.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        socket.bind(bindpoint);
    }

    @Override
    public InetAddress getInetAddress() {
        return socket.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return socket.getLocalAddress();
    }

    @Override
    public int getPort() {
        return socket.getPort();
    }

    @Override
    public int getLocalPort() {
        return socket.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return socket.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return socket.getLocalSocketAddress();
    }

    @Override
    public SocketChannel getChannel() {
        return socket.getChannel();
    }

    @Override
    public InputStream getInputStream() throws IOException {
        return socket.getInputStream();
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (tcp == null) {
            // not layered by this socket, so the TCP connection under it is not at hand to abort a stuck write
            return socket.getOutputStream();
        }
        if (output == null) {
            output = new CoalescingOutputStream(socket.getOutputStream(), tcp, peer());
        }
        return output;
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        socket.setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return socket.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        socket.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return socket.getSoLinger();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        socket.setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return socket.getSoTimeout();
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        socket.setSendBufferSize(size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return socket.getSendBufferSize();
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        socket.setReceiveBufferSize(size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return socket.getReceiveBufferSize();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        socket.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return socket.getKeepAlive();
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            closed = true;
        }
        try {
            sendPendingOutput();
        } finally {
            socket.close();
        }
    }

    /** Sends what the coalescing output still holds and stops its writer thread. */
    private void sendPendingOutput() throws IOException {
        CoalescingOutputStream pending;
        synchronized (this) {
            pending = output;
        }
        if (pending != null) {
            pending.close();
        }
    }

    /**
     * Paho's stop calls this and then {@link #close}, but skips the close when this throws, as TLS does when the
     * broker's close_notify has not come yet: the socket is closed here then, or it and its writer thread would stay.
     */
    @Override
    public void shutdownInput() throws IOException {
        try {
            socket.shutdownInput();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        sendPendingOutput();
        socket.shutdownOutput();
    }

    @Override
    public boolean isConnected() {
        return socket.isConnected();
    }

    @Override
    public boolean isBound() {
        return socket.isBound();
    }

    @Override
    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public boolean isInputShutdown() {
        return socket.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return socket.isOutputShutdown();
    }

    @Override
    public String toString() {
        return socket.toString();
    }
}
