package dev.weft.perf;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Command-line front end of {@link LoadGenerator}; prints a short summary and optionally writes
 * the full result as JSON.
 *
 * <pre>
 * weft-load --url http://127.0.0.1:8080/ --protocol h2c --connections 8 --streams 16 --duration 10s
 * weft-load --url http://127.0.0.1:8080/ --rate 1000 --warmup 2s --duration 10s --json out.json
 * </pre>
 */
@Command(name = "weft-load", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Generate HTTP/1.1, h2c or gRPC load and report latency without coordinated omission.")
public final class LoadCli implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080/",
      description = "Target URL; its path is the request path (default: ${DEFAULT-VALUE}; for grpc, "
          + "a URL without a path calls " + LoadConfig.DEFAULT_GRPC_METHOD + ").")
  URI url;

  @Option(names = "--protocol", defaultValue = "h1", converter = ProtocolConverter.class,
      description = "h1, h2c or grpc (default: ${DEFAULT-VALUE}).")
  Protocol protocol;

  @Option(names = "--connections", defaultValue = "8", description = "Connections (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--streams", defaultValue = "1",
      description = "Concurrent streams per HTTP/2 connection (default: ${DEFAULT-VALUE}).")
  int streams;

  @Option(names = "--rate", defaultValue = "0",
      description = "Total requests per second; 0 = closed loop, as fast as possible (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "10s", converter = DurationParser.class,
      description = "Measured duration (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "0s", converter = DurationParser.class,
      description = "Warm-up before measuring (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--payload", defaultValue = "0",
      description = "Request body bytes; > 0 sends POST (default: ${DEFAULT-VALUE}).")
  int payload;

  @Option(names = "--max-requests", defaultValue = "" + LoadConfig.DEFAULT_MAX_REQUESTS,
      description = "Hard bound on requests, warm-up included (default: ${DEFAULT-VALUE}).")
  long maxRequests;

  @Option(names = "--timeout", defaultValue = "5s", converter = DurationParser.class,
      description = "Per-request timeout from the intended send time (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--authority", description = "Host / :authority header (default: from --url).")
  String authority;

  @Option(names = "--threads", description = "Event loop threads (default: min(connections, processors)).")
  Integer threads;

  @Option(names = "--nio", description = "Use NIO even where native epoll is available.")
  boolean nio;

  @Option(names = "--json", description = "Also write the full result, percentiles included, to this JSON file.")
  Path json;

  @Option(names = "--histogram", description = "Print the HdrHistogram percentile distribution (ms).")
  boolean histogram;

  @Override
  public Integer call() throws InterruptedException, IOException {
    LoadConfig.Builder builder = LoadConfig.builder(url)
        .protocol(protocol)
        .connections(connections)
        .streamsPerConnection(streams)
        .rate(rate)
        .duration(duration)
        .warmup(warmup)
        .payloadSize(payload)
        .maxRequests(maxRequests)
        .requestTimeout(timeout)
        .preferNativeTransport(!nio);
    if (authority != null) {
      builder.authority(authority);
    }
    if (threads != null) {
      builder.ioThreads(threads);
    }
    LoadConfig config;
    try {
      config = builder.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    LoadResult result = LoadGenerator.run(config);
    PrintWriter out = spec.commandLine().getOut();
    out.print(result.summary());
    if (histogram) {
      out.print(result.percentileDistribution());
    }
    if (json != null) {
      Files.writeString(json, result.toJson(), StandardCharsets.UTF_8);
      out.println("  wrote " + json);
    }
    out.flush();
    return result.successes() > 0 ? 0 : 1;
  }

  /** Converts {@code h1|h2c|grpc}. */
  static final class ProtocolConverter implements ITypeConverter<Protocol> {
    @Override
    public Protocol convert(String value) {
      return Protocol.parse(value);
    }
  }

  /** Runs the CLI and exits with 0 when at least one request succeeded, 1 otherwise, 2 on usage errors. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadCli()).execute(args));
  }
}
