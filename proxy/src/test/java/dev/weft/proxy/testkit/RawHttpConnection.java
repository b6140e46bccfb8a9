package dev.weft.proxy.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A plain-socket HTTP/1.x client for tests that need byte-exact control: arbitrary Host
 * headers, pipelining, malformed requests, and checking how a response is framed on the wire.
 * Reads time out after 10 s, so a missing response fails the test instead of hanging it.
 */
public final class RawHttpConnection implements AutoCloseable {
  private static final int READ_TIMEOUT_MILLIS = 10_000;
  private static final int MAX_LINE = 256 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawHttpConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects to {@code 127.0.0.1:port}. */
  public static RawHttpConnection open(int port) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(READ_TIMEOUT_MILLIS);
      s.setTcpNoDelay(true);
      return new RawHttpConnection(s);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** Uses a socket the caller connected (e.g. from a chosen source port); sets the read timeout. */
  public static RawHttpConnection over(Socket connected) throws IOException {
    connected.setSoTimeout(READ_TIMEOUT_MILLIS);
    connected.setTcpNoDelay(true);
    return new RawHttpConnection(connected);
  }

  /** Writes bytes as they are (ISO-8859-1), in one write call. */
  public RawHttpConnection write(String raw) throws IOException {
    return write(raw.getBytes(StandardCharsets.ISO_8859_1));
  }

  public RawHttpConnection write(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
    return this;
  }

  /**
   * Sends an HTTP/1.1 request with a {@code Host} header (unless {@code headers} has one) and a
   * {@code Content-Length} when there is a body, then reads its final response (skipping 1xx).
   *
   * @param headers name, value, name, value, ...
   */
  public Response exchange(String method, String path, String host, byte[] body, String... headers)
      throws IOException {
    StringBuilder sb = new StringBuilder().append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    boolean hasHost = false;
    for (int i = 0; i < headers.length; i += 2) {
      hasHost |= headers[i].equalsIgnoreCase("host");
      sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    if (!hasHost && host != null) {
      sb.append("Host: ").append(host).append("\r\n");
    }
    if (body != null) {
      sb.append("Content-Length: ").append(body.length).append("\r\n");
    }
    sb.append("\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      write(head);
    } else {
      byte[] all = new byte[head.length + body.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      write(all);
    }
    Response r = readResponse(method.equals("HEAD"));
    while (r.status() >= 100 && r.status() < 200) {
      r = readResponse(method.equals("HEAD"));
    }
    return r;
  }

  /** GET with no body. */
  public Response get(String path, String host, String... headers) throws IOException {
    return exchange("GET", path, host, null, headers);
  }

  /** Reads one response (a 1xx counts as one), framed by its headers as RFC 9112 section 6.3 says. */
  public Response readResponse(boolean headRequest) throws IOException {
    String statusLine = readLine();
    if (statusLine == null) {
      throw new EOFException("connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP status line: '" + statusLine + "'");
    }
    int status = Integer.parseInt(parts[1]);
    List<Map.Entry<String, String>> headers = readFields();
    Response head = new Response(parts[0], status, parts.length > 2 ? parts[2] : "", headers, new byte[0],
        List.of(), Framing.NONE);
    if (status < 200 || status == 204 || status == 304 || headRequest) {
      return head;
    }
    String te = head.header("transfer-encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).endsWith("chunked")) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        String sizeLine = readLine();
        if (sizeLine == null) {
          throw new EOFException("connection closed inside a chunked body");
        }
        int semi = sizeLine.indexOf(';');
        int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
        if (size == 0) {
          break;
        }
        body.write(readExactly(size));
        if (!readLine().isEmpty()) {
          throw new IOException("chunk not followed by CRLF");
        }
      }
      return head.with(body.toByteArray(), readFields(), Framing.CHUNKED);
    }
    String length = head.header("content-length");
    if (length != null) {
      return head.with(readExactly(Integer.parseInt(length.trim())), List.of(), Framing.CONTENT_LENGTH);
    }
    return head.with(in.readAllBytes(), List.of(), Framing.CLOSE_DELIMITED);
  }

  /**
   * Whether the peer closes the connection (EOF or reset) within the read timeout, discarding
   * anything it still sends.
   */
  public boolean closedByPeer() throws IOException {
    byte[] buf = new byte[8192];
    try {
      for (int i = 0; i < 10_000; i++) {
        if (in.read(buf) < 0) {
          return true;
        }
      }
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // connection reset
    }
  }

  private List<Map.Entry<String, String>> readFields() throws IOException {
    List<Map.Entry<String, String>> fields = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String line = readLine();
      if (line == null) {
        throw new EOFException("connection closed inside a header block");
      }
      if (line.isEmpty()) {
        return fields;
      }
      int colon = line.indexOf(':');
      fields.add(Map.entry(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim()));
    }
    throw new IOException("more than 10000 header lines");
  }

  private byte[] readExactly(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new EOFException("expected " + n + " body bytes, got " + b.length);
    }
    return b;
  }

  /** A CRLF- (or LF-) terminated line without its terminator; null at EOF before any byte. */
  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (line.size() < MAX_LINE) {
      int c = in.read();
      if (c < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
      }
      if (c == '\n') {
        byte[] b = line.toByteArray();
        int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return new String(b, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(c);
    }
    throw new IOException("line longer than " + MAX_LINE + " bytes");
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** How a response body was delimited on the wire. */
  public enum Framing { NONE, CONTENT_LENGTH, CHUNKED, CLOSE_DELIMITED }

  /** A response as read from the wire; header names are lower case. */
  public record Response(String version, int status, String reason, List<Map.Entry<String, String>> headers,
      byte[] body, List<Map.Entry<String, String>> trailers, Framing framing) {

    Response with(byte[] body, List<Map.Entry<String, String>> trailers, Framing framing) {
      return new Response(version, status, reason, headers, body, trailers, framing);
    }

    /** The first value of a header, or null. */
    public String header(String name) {
      for (Map.Entry<String, String> e : headers) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue();
        }
      }
      return null;
    }

    /** Every value of a header, in order. */
    public List<String> headers(String name) {
      List<String> values = new ArrayList<>();
      for (Map.Entry<String, String> e : headers) {
        if (e.getKey().equalsIgnoreCase(name)) {
          values.add(e.getValue());
        }
      }
      return values;
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public Map<String, String> headerMap() {
      Map<String, String> m = new LinkedHashMap<>();
      headers.forEach(e -> m.putIfAbsent(e.getKey(), e.getValue()));
      return m;
    }
  }
}
