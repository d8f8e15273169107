package org.chestlens.interop;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.FilterOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * A connected socket whose input starts with bytes already read from it. The receiver reads the
 * A-ASSOCIATE-RQ itself (to reject a caller or a surplus association before PixelMed accepts it) and
 * then gives PixelMed this view, which reads the same request again.
 */
final class ReplaySocket extends Socket {

    private static final int A_RELEASE_RP = 0x06;
    private static final int A_RELEASE_RP_LENGTH = 10;

    private final Socket socket;
    private final InputStream input;
    private final OutputStream output;

    /**
     * @param onReleased run once PixelMed has answered an A-RELEASE-RQ: the association is over, although
     *                   PixelMed keeps its thread for the ARTIM wait (5 s) before it closes the connection
     */
    ReplaySocket(Socket socket, byte[] alreadyRead, Runnable onReleased) throws IOException {
        this.socket = socket;
        this.input = new SequenceInputStream(new ByteArrayInputStream(alreadyRead), socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        this.output = new FilterOutputStream(out) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
                // PixelMed writes each PDU whole; an A-RELEASE-RP is 10 bytes starting with its type.
                if (length == A_RELEASE_RP_LENGTH && bytes[offset] == A_RELEASE_RP) {
                    out.flush();
                    onReleased.run();
                }
            }
        };
    }

    @Override
    public InputStream getInputStream() {
        return input;
    }

    @Override
    public OutputStream getOutputStream() {
        return output;
    }

    @Override
    public synchronized void close() throws IOException {
        socket.close();
    }

    @Override
    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public boolean isConnected() {
        return socket.isConnected();
    }

    @Override
    public synchronized void setSoTimeout(int timeout) throws SocketException {
        socket.setSoTimeout(timeout);
    }

    @Override
    public synchronized int getSoTimeout() throws SocketException {
        return socket.getSoTimeout();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        socket.setTcpNoDelay(on);
    }

    @Override
    public synchronized void setReceiveBufferSize(int size) throws SocketException {
        socket.setReceiveBufferSize(size);
    }

    @Override
    public synchronized int getReceiveBufferSize() throws SocketException {
        return socket.getReceiveBufferSize();
    }

    @Override
    public synchronized void setSendBufferSize(int size) throws SocketException {
        socket.setSendBufferSize(size);
    }

    @Override
    public synchronized int getSendBufferSize() throws SocketException {
        return socket.getSendBufferSize();
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
    public void setSoLinger(boolean on, int linger) throws SocketException {
        socket.setSoLinger(on, linger);
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        socket.setKeepAlive(on);
    }

    @Override
    public void shutdownInput() throws IOException {
        socket.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public String toString() {
        return socket.toString();
    }
}
