package dev.weft.perf.jmh;

import dev.weft.proxy.Transport;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.Http2Settings;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.lb.RoundRobinBalancer;
import dev.weft.proxy.metrics.ProxyMetrics;
import dev.weft.proxy.upstream.ClusterManager;
import dev.weft.proxy.upstream.EndpointState;
import dev.weft.proxy.upstream.EventLoopIndex;
import dev.weft.proxy.upstream.UpstreamConnector;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link RoundRobinBalancer#pick()} over a cluster's endpoints, equal weights (plain rotation)
 * and unequal weights (smooth weighted round robin). The endpoint objects come from the proxy's
 * own {@link ClusterManager}, as at run time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RoundRobinBenchmark {
  @Param({"3", "50"})
  public int endpoints;

  @Param({"false", "true"})
  public boolean weighted;

  private RoundRobinBalancer balancer;

  @Setup
  public void setUp() throws Exception {
    List<EndpointConfig> configs = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      configs.add(new EndpointConfig(new SocketAddressConfig("10.0." + (i / 250) + "." + (i % 250 + 1), 8080),
          weighted ? 1 + i % 5 : 1));
    }
    ClusterConfig cluster = new ClusterConfig("bench", configs, "ROUND_ROBIN", Duration.ofSeconds(1),
        ClusterConfig.UpstreamProtocol.HTTP1, Duration.ZERO, 0, Http2Settings.DEFAULTS, 1 << 20, null);
    Transport transport = Transport.select(false);
    EventLoopGroup group = transport.newGroup(1, "bench-lb");
    try {
      ClusterManager manager = new ClusterManager(new UpstreamConnector(transport), new EventLoopIndex(group),
          new ProxyMetrics(), new dev.weft.proxy.tls.TlsContexts(dev.weft.proxy.tls.TlsMaterial.SecretProvider.NONE));
      manager.apply(Map.of("bench", cluster));
      balancer = new RoundRobinBalancer(manager.get("bench").endpoints());
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
  }

  @Benchmark
  public EndpointState pick() {
    return balancer.pick();
  }
}
