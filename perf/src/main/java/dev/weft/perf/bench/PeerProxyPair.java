package dev.weft.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * HAProxy and nginx pairs, the peers Weft is compared with: {@code <proxy>-out} takes plain
 * HTTP/1.1 from the client and forwards over mutual TLS (ECDSA P-256, peer verification required
 * both ways, upstream keep-alive) to {@code <proxy>-in}, which forwards to the upstream over
 * kept-alive HTTP/1.1. The harness writes the configs into the run directory, checks them with
 * the proxy's own validator, starts both in the foreground and stops them by PID.
 */
final class PeerProxyPair {
  private PeerProxyPair() {}

  /** Starts the HAProxy pair, or explains why it cannot run. */
  static Deployment startHaproxy(BenchEnvironment env) throws IOException, InterruptedException,
      ScenarioUnavailableException {
    Path haproxy = Executables.find("haproxy").orElseThrow(() ->
        new ScenarioUnavailableException("haproxy is not installed (apt-get install haproxy)"));
    Path dir = Files.createDirectories(env.runDir().resolve("haproxy"));
    BenchCertificates.Files in = env.certificates().writeTo(dir.resolve("certs"), "haproxy-in");
    BenchCertificates.Files out = env.certificates().writeTo(dir.resolve("certs"), "haproxy-out");
    int inPort = FreePorts.next();
    int outPort = FreePorts.next();
    int maxconn = haproxyMaxconn(openFileLimit());
    Path inCfg = dir.resolve("haproxy-in.cfg");
    Files.writeString(inCfg, haproxyInbound(inPort, env.upstreamPort(), in, maxconn, env.proxyWorkers()));
    Path outCfg = dir.resolve("haproxy-out.cfg");
    Files.writeString(outCfg, haproxyOutbound(outPort, inPort, out, maxconn, env.proxyWorkers()));
    for (Path cfg : List.of(inCfg, outCfg)) {
      validate(List.of(haproxy.toString(), "-c", "-q", "-f", cfg.toString()), dir, "haproxy");
    }
    return startPair(env, dir, "haproxy",
        List.of(haproxy.toString(), "-db", "-f", inCfg.toString()), inPort,
        List.of(haproxy.toString(), "-db", "-f", outCfg.toString()), outPort);
  }

  /** Starts the nginx pair, or explains why it cannot run. */
  static Deployment startNginx(BenchEnvironment env) throws IOException, InterruptedException,
      ScenarioUnavailableException {
    Path nginx = Executables.find("nginx").orElseThrow(() ->
        new ScenarioUnavailableException("nginx is not installed (apt-get install nginx)"));
    Path dir = Files.createDirectories(env.runDir().resolve("nginx"));
    BenchCertificates.Files in = env.certificates().writeTo(dir.resolve("certs"), "nginx-in");
    BenchCertificates.Files out = env.certificates().writeTo(dir.resolve("certs"), "nginx-out");
    int inPort = FreePorts.next();
    int outPort = FreePorts.next();
    List<List<String>> commands = new ArrayList<>();
    for (String side : List.of("nginx-in", "nginx-out")) {
      Path prefix = Files.createDirectories(dir.resolve(side));
      Path cfg = dir.resolve(side + ".conf");
      Files.writeString(cfg, side.equals("nginx-in")
          ? nginxInbound(inPort, env.upstreamPort(), in, prefix, env.proxyWorkers())
          : nginxOutbound(outPort, inPort, out, prefix, env.proxyWorkers()));
      List<String> base = List.of(nginx.toString(), "-p", prefix + "/", "-e", prefix.resolve("error.log").toString(),
          "-c", cfg.toString());
      List<String> test = new ArrayList<>(base);
      test.add("-t");
      validate(test, dir, "nginx");
      commands.add(base);
    }
    return startPair(env, dir, "nginx", commands.get(0), inPort, commands.get(1), outPort);
  }

  private static Deployment startPair(BenchEnvironment env, Path dir, String proxy, List<String> inCmd, int inPort,
      List<String> outCmd, int outPort) throws IOException, InterruptedException, ScenarioUnavailableException {
    List<ManagedProcess> started = new ArrayList<>();
    try {
      ManagedProcess in = ManagedProcess.start(proxy + "-in", env.pinning().wrapProxy(inCmd), dir, Map.of(),
          dir.resolve(proxy + "-in.log"));
      started.add(in);
      Readiness.awaitListening(in, inPort, env.startTimeout());
      ManagedProcess out = ManagedProcess.start(proxy + "-out", env.pinning().wrapProxy(outCmd), dir, Map.of(),
          dir.resolve(proxy + "-out.log"));
      started.add(out);
      Readiness.awaitListening(out, outPort, env.startTimeout());
      // One request end to end proves the mTLS hop is configured before any measurement.
      int status = Readiness.status(outPort, "/");
      if (status != 200) {
        throw new IllegalStateException("a request through the pair got " + (status < 0 ? "no response" : status)
            + " (expected: 200); " + proxy + "-out: " + out.tail(6) + "; " + proxy + "-in: " + in.tail(6));
      }
      return new Deployment(outPort, started, Map.of());
    } catch (IllegalStateException e) {
      started.reversed().forEach(ManagedProcess::close);
      throw new ScenarioUnavailableException(proxy + " pair did not start: " + e.getMessage(), e);
    } catch (IOException | InterruptedException | RuntimeException e) {
      started.reversed().forEach(ManagedProcess::close);
      throw e;
    }
  }

  private static void validate(List<String> command, Path dir, String proxy) throws IOException, InterruptedException,
      ScenarioUnavailableException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new ScenarioUnavailableException(proxy + " config check did not finish in 30 s");
    }
    if (p.exitValue() != 0) {
      throw new ScenarioUnavailableException(proxy + " rejected its config (" + String.join(" ", command) + "): " + out);
    }
  }

  /** The soft limit on open files of this process (inherited by the proxies), from {@code /proc/self/limits}. */
  static long openFileLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] f = line.substring("Max open files".length()).trim().split("\\s+");
          return f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Assume the common default.
    }
    return 1024;
  }

  /**
   * HAProxy's {@code maxconn}: it needs about two descriptors per connection (client and server
   * side) plus some for listeners and the checks, and refuses to start when that exceeds the
   * open-file limit. The benchmark uses tens of connections, so 4096 is plenty.
   */
  static int haproxyMaxconn(long openFiles) {
    long fit = (openFiles - 256) / 2;
    return (int) Math.max(64, Math.min(4096, fit));
  }

  static String haproxyOutbound(int listenPort, int peerPort, BenchCertificates.Files certs, int maxconn, int threads) {
    return """
        # Weft benchmark: outbound HAProxy (client side of the mTLS hop).
        global
            maxconn %d
            nbthread %d
            ssl-server-verify required

        defaults
            mode http
            option http-keep-alive
            http-reuse always
            timeout connect 2s
            timeout client 30s
            timeout server 30s
            timeout http-keep-alive 30s

        frontend outbound
            bind 127.0.0.1:%d
            default_backend peer

        backend peer
            server in 127.0.0.1:%d ssl verify required ca-file %s crt %s sni str(%s) verifyhost %s alpn http/1.1
        """.formatted(maxconn, threads, listenPort, peerPort, certs.ca(), certs.combinedPem(),
            BenchCertificates.dnsName("haproxy-in"), BenchCertificates.dnsName("haproxy-in"));
  }

  static String haproxyInbound(int listenPort, int upstreamPort, BenchCertificates.Files certs, int maxconn,
      int threads) {
    return """
        # Weft benchmark: inbound HAProxy (server side of the mTLS hop).
        global
            maxconn %d
            nbthread %d

        defaults
            mode http
            option http-keep-alive
            http-reuse always
            timeout connect 2s
            timeout client 30s
            timeout server 30s
            timeout http-keep-alive 30s

        frontend inbound
            bind 127.0.0.1:%d ssl crt %s ca-file %s verify required alpn http/1.1
            default_backend app

        backend app
            server up 127.0.0.1:%d
        """.formatted(maxconn, threads, listenPort, certs.combinedPem(), certs.ca(), upstreamPort);
  }

  private static String nginxCommon(Path prefix, int workers) {
    return """
        # Weft benchmark: written by the harness, run in the foreground.
        daemon off;
        master_process on;
        worker_processes %d;
        pid %s;
        events { worker_connections 4096; }
        """.formatted(workers, prefix.resolve("nginx.pid"));
  }

  private static String nginxHttpCommon(Path prefix) {
    return """
            access_log off;
            keepalive_requests 1000000;
            keepalive_timeout 60s;
            client_body_temp_path %1$s/client_body;
            proxy_temp_path %1$s/proxy;
            fastcgi_temp_path %1$s/fastcgi;
            uwsgi_temp_path %1$s/uwsgi;
            scgi_temp_path %1$s/scgi;
        """.formatted(prefix);
  }

  static String nginxOutbound(int listenPort, int peerPort, BenchCertificates.Files certs, Path prefix, int workers) {
    return nginxCommon(prefix, workers) + """
        http {
        %s
            upstream peer {
                server 127.0.0.1:%d;
                keepalive 64;
                keepalive_requests 1000000;
                keepalive_timeout 60s;
            }
            server {
                listen 127.0.0.1:%d;
                location / {
                    proxy_pass https://peer;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_ssl_certificate %s;
                    proxy_ssl_certificate_key %s;
                    proxy_ssl_trusted_certificate %s;
                    proxy_ssl_verify on;
                    proxy_ssl_verify_depth 2;
                    proxy_ssl_name %s;
                    proxy_ssl_server_name on;
                    proxy_ssl_session_reuse on;
                }
            }
        }
        """.formatted(nginxHttpCommon(prefix), peerPort, listenPort, certs.certificate(), certs.key(), certs.ca(),
            BenchCertificates.dnsName("nginx-in"));
  }

  static String nginxInbound(int listenPort, int upstreamPort, BenchCertificates.Files certs, Path prefix,
      int workers) {
    return nginxCommon(prefix, workers) + """
        http {
        %s
            upstream app {
                server 127.0.0.1:%d;
                keepalive 64;
                keepalive_requests 1000000;
                keepalive_timeout 60s;
            }
            server {
                listen 127.0.0.1:%d ssl;
                ssl_certificate %s;
                ssl_certificate_key %s;
                ssl_client_certificate %s;
                ssl_verify_client on;
                ssl_verify_depth 2;
                location / {
                    proxy_pass http://app;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                }
            }
        }
        """.formatted(nginxHttpCommon(prefix), upstreamPort, listenPort, certs.certificate(), certs.key(), certs.ca());
  }
}
