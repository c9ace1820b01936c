package dev.kcert.approver;

import dev.kcert.core.testing.FakeNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy a test switches on and off, to stand between an approver process and the
 * mock API server: {@link #cut()} closes every connection and stops listening (clients then get
 * "connection refused"), {@link #open()} listens again on the same port.
 */
final class TcpProxy implements AutoCloseable {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final int targetPort;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket server;

  /** Picks a free loopback port; not listening until {@link #open()}. */
  TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    // below the ephemeral range: while the proxy is cut, no outgoing connection can take its port
    this.port = FakeNode.freePort();
  }

  int port() {
    return port;
  }

  String url() {
    return "http://127.0.0.1:" + port + "/";
  }

  synchronized void open() throws IOException {
    if (server != null) {
      return;
    }
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(LOOPBACK, port), 50);
    server = s;
    Thread t = new Thread(() -> accept(s), "proxy-accept-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return;
      }
      Socket upstream;
      try {
        upstream = new Socket(LOOPBACK, targetPort);
      } catch (IOException e) {
        close(client);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed: close both
      } finally {
        close(from);
        close(to);
      }
    }, "proxy-pump-" + port);
    t.setDaemon(true);
    t.start();
  }

  /** Stops listening and closes every open connection. */
  synchronized void cut() {
    ServerSocket s = server;
    server = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closed anyway
      }
    }
    for (Socket sock : sockets) {
      close(sock);
    }
  }

  private void close(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // closed anyway
    }
  }

  @Override
  public void close() {
    cut();
  }
}
