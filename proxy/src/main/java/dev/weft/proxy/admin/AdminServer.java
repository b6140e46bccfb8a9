package dev.weft.proxy.admin;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.weft.proxy.Sidecar;
import dev.weft.proxy.Transport;
import dev.weft.proxy.bootstrap.ConfigTranslator;
import dev.weft.proxy.config.SocketAddressConfig;
import dev.weft.proxy.upstream.ClusterRuntime;
import dev.weft.proxy.upstream.EndpointState;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import dev.weft.proxy.http.LocalReplies;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The admin HTTP server (loopback, port 15000 by convention), on its own event loop so a busy
 * data path does not starve it. Endpoints follow Envoy's admin API where one exists:
 * {@code /ready}, {@code /config_dump}, {@code /clusters}, {@code /stats/prometheus},
 * {@code POST /drain_listeners}, {@code POST /quitquitquit}.
 */
public final class AdminServer {
  private final Sidecar sidecar;
  private final Transport transport;
  private final EventLoopGroup loop;
  private volatile Runnable quitHandler = () -> { };
  private Channel channel;

  public AdminServer(Sidecar sidecar, Transport transport, EventLoopGroup loop) {
    this.sidecar = sidecar;
    this.transport = transport;
    this.loop = loop;
  }

  /** What {@code POST /quitquitquit} runs (the launcher's drain and exit). */
  public void onQuit(Runnable handler) {
    this.quitHandler = handler;
  }

  public void bind(SocketAddressConfig address) throws InterruptedException {
    channel = new ServerBootstrap()
        .group(loop)
        .channel(transport.serverChannel())
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler());
          }
        })
        .bind(address.host(), address.port())
        .sync()
        .channel();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  public void close() {
    if (channel != null) {
      channel.close().awaitUninterruptibly();
    }
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      QueryStringDecoder q = new QueryStringDecoder(req.uri());
      int status = 200;
      String type = "text/plain; charset=utf-8";
      String body;
      switch (q.path()) {
        case "/ready" -> {
          boolean ready = sidecar.ready();
          status = ready ? 200 : 503;
          body = ready ? "LIVE\n" : sidecar.draining() ? "DRAINING\n" : "PRE_INITIALIZING\n";
        }
        case "/config_dump" -> {
          type = "application/json";
          body = configDump();
        }
        case "/clusters" -> {
          boolean json = "json".equals(first(q, "format"));
          type = json ? "application/json" : type;
          body = clusters(json);
        }
        case "/stats/prometheus" -> {
          type = "text/plain; version=0.0.4; charset=utf-8";
          body = sidecar.metrics().scrape();
        }
        case "/drain_listeners" -> {
          // Envoy's semantics: drain (stop accepting, finish in-flight requests) but keep running.
          if (req.method() != HttpMethod.POST) {
            status = 405;
            body = "use POST\n";
          } else {
            body = "OK\n";
            Thread.ofVirtual().name("weft-admin-drain").start(() -> {
              try {
                sidecar.drain();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
          }
        }
        case "/quitquitquit" -> {
          if (req.method() != HttpMethod.POST) {
            status = 405;
            body = "use POST\n";
          } else {
            body = "OK\n";
            Thread.ofVirtual().name("weft-admin-quit").start(quitHandler);
          }
        }
        default -> {
          status = 404;
          body = "unknown admin path: " + q.path()
              + "\n(available: /ready /config_dump /clusters /stats/prometheus /drain_listeners /quitquitquit)\n";
        }
      }
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      FullHttpResponse r = LocalReplies.response(ctx.alloc(), status, body.getBytes(StandardCharsets.UTF_8), type,
          !keepAlive);
      r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache, max-age=0");
      var f = ctx.writeAndFlush(r);
      if (!keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static String first(QueryStringDecoder q, String name) {
    List<String> v = q.parameters().get(name);
    return v == null || v.isEmpty() ? null : v.getFirst();
  }

  /** Envoy's {@code ConfigDump}: bootstrap, static listeners and static clusters. */
  private String configDump() {
    Bootstrap b = sidecar.bootstrap();
    if (b == null) {
      b = Bootstrap.getDefaultInstance();
    }
    ListenersConfigDump.Builder listeners = ListenersConfigDump.newBuilder();
    b.getStaticResources().getListenersList().forEach(l -> listeners.addStaticListeners(
        ListenersConfigDump.StaticListener.newBuilder().setListener(Any.pack(l))));
    ClustersConfigDump.Builder clusters = ClustersConfigDump.newBuilder();
    b.getStaticResources().getClustersList().forEach(c -> clusters.addStaticClusters(
        ClustersConfigDump.StaticCluster.newBuilder().setCluster(Any.pack(c))));
    var routes = io.envoyproxy.envoy.admin.v3.RoutesConfigDump.newBuilder();
    var endpoints = io.envoyproxy.envoy.admin.v3.EndpointsConfigDump.newBuilder();
    if (sidecar.xds() != null) {
      dynamicResources(sidecar.xds().dump(), listeners, clusters, routes, endpoints);
    }
    ConfigDump.Builder dumpBuilder = ConfigDump.newBuilder()
        .addConfigs(Any.pack(BootstrapConfigDump.newBuilder().setBootstrap(b).build()))
        .addConfigs(Any.pack(listeners.build()))
        .addConfigs(Any.pack(clusters.build()));
    if (sidecar.xds() != null) {
      dumpBuilder.addConfigs(Any.pack(routes.build())).addConfigs(Any.pack(endpoints.build()));
    }
    ConfigDump dump = dumpBuilder.build();
    JsonFormat.TypeRegistry.Builder registry = JsonFormat.TypeRegistry.newBuilder();
    dev.weft.proxy.bootstrap.AnyTypes.WEFT.all().forEach(registry::add);
    List<Message> types = new ArrayList<>();
    types.addAll(List.of(io.envoyproxy.envoy.admin.v3.RoutesConfigDump.getDefaultInstance(),
        io.envoyproxy.envoy.admin.v3.EndpointsConfigDump.getDefaultInstance(),
        io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDefaultInstance(),
        io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDefaultInstance()));
    types.addAll(List.of(BootstrapConfigDump.getDefaultInstance(), ListenersConfigDump.getDefaultInstance(),
        ClustersConfigDump.getDefaultInstance(), io.envoyproxy.envoy.config.listener.v3.Listener.getDefaultInstance(),
        io.envoyproxy.envoy.config.cluster.v3.Cluster.getDefaultInstance()));
    types.forEach(t -> registry.add(t.getDescriptorForType()));
    try {
      // Envoy prints proto field names (static_listeners, not staticListeners).
      return JsonFormat.printer().preservingProtoFieldNames().usingTypeRegistry(registry.build())
          .print(dump) + "\n";
    } catch (InvalidProtocolBufferException e) {
      return "{\"error\": \"" + e.getMessage().replace("\"", "'") + "\"}\n";
    }
  }

  /**
   * The accepted xDS resources with their versions, as Envoy's dynamic sections
   * ({@code dynamic_listeners}, {@code dynamic_active_clusters}, {@code dynamic_route_configs},
   * {@code dynamic_endpoint_configs}); what is still warming or was rejected is listed in
   * {@code dynamic_warming_clusters}-style notes on the listeners dump's {@code version_info}.
   */
  private static void dynamicResources(dev.weft.proxy.xds.XdsClient.Dump d, ListenersConfigDump.Builder listeners,
      ClustersConfigDump.Builder clusters, io.envoyproxy.envoy.admin.v3.RoutesConfigDump.Builder routes,
      io.envoyproxy.envoy.admin.v3.EndpointsConfigDump.Builder endpoints) {
    listeners.setVersionInfo(d.versions().getOrDefault(dev.weft.proxy.xds.ResourceType.LDS, ""));
    clusters.setVersionInfo(d.versions().getOrDefault(dev.weft.proxy.xds.ResourceType.CDS, ""));
    for (var e : d.resources().entrySet()) {
      for (dev.weft.proxy.xds.XdsResource r : e.getValue()) {
        com.google.protobuf.Timestamp at = com.google.protobuf.Timestamp.newBuilder()
            .setSeconds(r.updated().getEpochSecond()).setNanos(r.updated().getNano()).build();
        switch (e.getKey()) {
          case LDS -> listeners.addDynamicListeners(ListenersConfigDump.DynamicListener.newBuilder()
              .setName(r.name())
              .setActiveState(ListenersConfigDump.DynamicListenerState.newBuilder().setVersionInfo(r.version())
                  .setListener(Any.pack(r.proto())).setLastUpdated(at)));
          case CDS -> clusters.addDynamicActiveClusters(ClustersConfigDump.DynamicCluster.newBuilder()
              .setVersionInfo(r.version()).setCluster(Any.pack(r.proto())).setLastUpdated(at));
          case RDS -> routes.addDynamicRouteConfigs(
              io.envoyproxy.envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig.newBuilder()
                  .setVersionInfo(r.version()).setRouteConfig(Any.pack(r.proto())).setLastUpdated(at));
          case EDS -> endpoints.addDynamicEndpointConfigs(
              io.envoyproxy.envoy.admin.v3.EndpointsConfigDump.DynamicEndpointConfig.newBuilder()
                  .setVersionInfo(r.version()).setEndpointConfig(Any.pack(r.proto())).setLastUpdated(at));
        }
      }
    }
    for (String note : d.waiting()) {
      listeners.addDynamicListeners(ListenersConfigDump.DynamicListener.newBuilder().setName("(pending)")
          .setErrorState(io.envoyproxy.envoy.admin.v3.UpdateFailureState.newBuilder().setDetails(note)));
    }
  }

  private static String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** Envoy's {@code /clusters} text format ({@code cluster::host:port::stat::value}), or JSON. */
  private String clusters(boolean json) {
    StringBuilder sb = new StringBuilder();
    List<ClusterRuntime> all = new ArrayList<>(sidecar.clusters().all());
    all.sort(Comparator.comparing(ClusterRuntime::name));
    if (json) {
      sb.append("{\"cluster_statuses\":[");
      for (int i = 0; i < all.size(); i++) {
        ClusterRuntime c = all.get(i);
        sb.append(i == 0 ? "" : ",").append("{\"name\":\"").append(c.name()).append("\",");
        ClusterHealthView.clusterJson(c, sb);
        sb.append("\"host_statuses\":[");
        List<EndpointState> eps = c.endpoints();
        for (int j = 0; j < eps.size(); j++) {
          EndpointState e = eps.get(j);
          SocketAddressConfig a = e.config().address();
          sb.append(j == 0 ? "" : ",").append("{\"address\":{\"socket_address\":{\"address\":\"").append(a.host())
              .append("\",\"port_value\":").append(a.port()).append("}},\"weight\":").append(e.config().weight())
              .append(",\"priority\":").append(e.config().priority())
              .append(",\"locality\":{\"region\":").append(jsonString(e.config().locality().region()))
              .append(",\"zone\":").append(jsonString(e.config().locality().zone()))
              .append(",\"sub_zone\":").append(jsonString(e.config().locality().subZone()))
              .append("},\"locality_weight\":").append(e.config().localityWeight())
              .append(",\"health_status\":");
          ClusterHealthView.hostHealthJson(c, e, sb);
          sb.append(",\"stats\":{")
              .append("\"rq_active\":").append(e.activeRequests.get())
              .append(",\"rq_total\":").append(e.totalRequests.sum())
              .append(",\"cx_active\":").append(e.activeConnections.get())
              .append(",\"cx_connect_fail\":").append(e.connectFailures.sum()).append("}}");
        }
        sb.append("]}");
      }
      return sb.append("]}\n").toString();
    }
    for (ClusterRuntime c : all) {
      ClusterHealthView.clusterText(c, sb);
      for (EndpointState e : c.endpoints()) {
        String p = c.name() + "::" + e.config().address() + "::";
        sb.append(p).append("cx_active::").append(e.activeConnections.get()).append('\n');
        sb.append(p).append("cx_connect_fail::").append(e.connectFailures.sum()).append('\n');
        sb.append(p).append("rq_active::").append(e.activeRequests.get()).append('\n');
        sb.append(p).append("rq_total::").append(e.totalRequests.sum()).append('\n');
        sb.append(p).append("weight::").append(e.config().weight()).append('\n');
        sb.append(p).append("region::").append(e.config().locality().region()).append('\n');
        sb.append(p).append("zone::").append(e.config().locality().zone()).append('\n');
        sb.append(p).append("sub_zone::").append(e.config().locality().subZone()).append('\n');
        sb.append(p).append("locality_weight::").append(e.config().localityWeight()).append('\n');
        sb.append(p).append("priority::").append(e.config().priority()).append('\n');
        ClusterHealthView.hostText(c, e, p, sb);
      }
    }
    return sb.toString();
  }
}
