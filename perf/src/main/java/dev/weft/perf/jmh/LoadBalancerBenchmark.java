package dev.weft.perf.jmh;

import dev.weft.proxy.Transport;
import dev.weft.proxy.config.ClusterConfig;
import dev.weft.proxy.config.EndpointConfig;
import dev.weft.proxy.config.Http2Settings;
import dev.weft.proxy.config.LbConfig;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.lb.ClusterBalancer;
import dev.weft.proxy.lb.ClusterLbState;
import dev.weft.proxy.lb.LbContext;
import dev.weft.proxy.lb.LoadBalancer;
import dev.weft.proxy.lb.LoadBalancerProvider;
import dev.weft.proxy.lb.LoadBalancerRegistry;
import dev.weft.proxy.lb.XxHash64;
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
import java.util.SplittableRandom;
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
 * Each load-balancing policy's pick, as a request makes it: {@link ClusterBalancer#pick} (priority
 * level, then host, with the request's hash for RING_HASH and MAGLEV) and the policy's own
 * {@link LoadBalancer#pick} over one host set. Hashes cycle through 1024 precomputed keys, so the
 * ring and table lookups are not always the same cache line. Endpoint objects come from the
 * proxy's own {@link ClusterManager}, as at run time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LoadBalancerBenchmark {
  @Param({"ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV"})
  public String policy;

  @Param({"3", "50"})
  public int endpoints;

  @Param({"false", "true"})
  public boolean weighted;

  private ClusterLbState.Inputs inputs;
  private ClusterBalancer cluster;
  private LoadBalancer hosts;
  private final long[] hashes = new long[1024];
  private final MutableHash context = new MutableHash();
  private int next;

  /** A reusable context, as the router's. */
  private static final class MutableHash implements LbContext {
    long value;

    @Override
    public boolean hasHash() {
      return true;
    }

    @Override
    public long hash() {
      return value;
    }
  }

  @Setup
  public void setUp() throws Exception {
    List<EndpointConfig> configs = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      configs.add(new EndpointConfig(new SocketAddressConfig("10.0." + (i / 250) + "." + (i % 250 + 1), 8080),
          weighted ? 1 + i % 5 : 1));
    }
    ClusterConfig config = new ClusterConfig("bench", configs, policy, Duration.ofSeconds(1),
        ClusterConfig.UpstreamProtocol.HTTP1, Duration.ZERO, 0, Http2Settings.DEFAULTS, 1 << 20, null);
    Transport transport = Transport.select(false);
    EventLoopGroup group = transport.newGroup(1, "bench-lb");
    List<EndpointState> states;
    try {
      ClusterManager manager = new ClusterManager(new UpstreamConnector(transport), new EventLoopIndex(group),
          new ProxyMetrics(), new dev.weft.proxy.tls.TlsContexts(dev.weft.proxy.tls.TlsMaterial.SecretProvider.NONE));
      manager.apply(Map.of("bench", config));
      states = manager.get("bench").endpoints();
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefault().provider(policy);
    inputs = new ClusterLbState.Inputs(provider, LbConfig.DEFAULT, states);
    cluster = new ClusterBalancer(new ClusterLbState(), new SplittableRandom(1));
    hosts = provider.newBalancer(states.toArray(EndpointState[]::new), LbConfig.DEFAULT, new SplittableRandom(2));
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = XxHash64.hash("user-" + i);
    }
  }

  /** The whole pick of a request: priority level, then host (and the hash for hash policies). */
  @Benchmark
  public EndpointState clusterPick() {
    context.value = hashes[next++ & 1023];
    return cluster.pick(inputs, context);
  }

  /** The policy's own pick over one host set. */
  @Benchmark
  public EndpointState balancerPick() {
    return hosts.pick(hashes[next++ & 1023], 0);
  }
}
