package dev.weft.controlplane.policy;

import dev.weft.controlplane.policy.AuthorizationPolicy.Action;
import dev.weft.controlplane.policy.DestinationPolicy.LbPolicy;
import dev.weft.controlplane.policy.PolicyMeta.Position;
import dev.weft.controlplane.policy.TrafficRoute.Backend;
import dev.weft.controlplane.policy.TrafficRoute.Fault;
import dev.weft.controlplane.policy.TrafficRoute.HeaderChanges;
import dev.weft.controlplane.policy.TrafficRoute.HeaderMatch;
import dev.weft.controlplane.policy.TrafficRoute.HttpRoute;
import dev.weft.controlplane.policy.TrafficRoute.Match;
import dev.weft.controlplane.policy.TrafficRoute.StringMatch;
import dev.weft.controlplane.policy.YamlObject.Context;
import dev.weft.controlplane.policy.YamlObject.Issue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads traffic-policy documents (YAML or JSON, several per file separated by {@code ---}) into a
 * {@link PolicySet}, checking every field and the references between documents. Every error names
 * its file, line, column, field path, the value and what was expected; a document with an error
 * is left out of the set, the others are kept.
 *
 * <p>Kinds (all {@code apiVersion: weft.dev/v1alpha1}): {@code TrafficRoute},
 * {@code DestinationPolicy}, {@code MTLSPolicy}, {@code AuthorizationPolicy}, {@code MeshConfig}.
 */
public final class PolicyLoader {

  public static final String API_VERSION = "weft.dev/v1alpha1";
  public static final List<String> KINDS =
      List.of("TrafficRoute", "DestinationPolicy", "MTLSPolicy", "AuthorizationPolicy", "MeshConfig");
  /** Each kind's plural resource name, as the CRDs in {@code deploy/crds/} declare it. */
  public static final Map<String, String> PLURALS = Map.of("TrafficRoute", "trafficroutes",
      "DestinationPolicy", "destinationpolicies", "MTLSPolicy", "mtlspolicies",
      "AuthorizationPolicy", "authorizationpolicies", "MeshConfig", "meshconfigs");

  /** Kubernetes ObjectMeta fields a custom resource read from the API server carries. */
  private static final String[] OBJECT_META = {"uid", "resourceVersion", "generation", "creationTimestamp",
      "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
      "managedFields", "generateName", "selfLink"};

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private final List<Object> policies = new ArrayList<>();
  private final List<PolicyError> errors = new ArrayList<>();
  private final Set<String> invalid = new HashSet<>();
  private final List<String> sources = new ArrayList<>();

  private PolicyLoader() {}

  /** Loads every {@code .yaml}, {@code .yml} and {@code .json} file directly in {@code dir}, in name order. */
  public static PolicyLoad loadDirectory(Path dir) {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(Files::isRegularFile).filter(PolicyLoader::isPolicyFile).sorted().toList();
    } catch (IOException e) {
      return new PolicyLoad(PolicySet.EMPTY,
          List.of(new PolicyError(dir.toString(), 0, 0, "", "", "cannot read directory: " + e.getMessage())));
    }
    return loadFiles(files);
  }

  static boolean isPolicyFile(Path p) {
    String n = p.getFileName().toString();
    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
  }

  /** Loads the given files together (references may cross files). */
  public static PolicyLoad loadFiles(List<Path> files) {
    PolicyLoader loader = new PolicyLoader();
    for (Path f : files) {
      String text;
      try {
        text = Files.readString(f);
      } catch (IOException e) {
        loader.sources.add(f.toString());
        loader.errors.add(new PolicyError(f.toString(), 0, 0, "", "", "cannot read: " + e));
        continue;
      }
      loader.parseText(text, f.toString());
    }
    return loader.finish();
  }

  /**
   * Parses one text (YAML or JSON). For a custom resource read from Kubernetes, {@code sourceName}
   * is {@code Kind/namespace/name}.
   */
  public static PolicyLoad parse(String yamlOrJson, String sourceName) {
    PolicyLoader loader = new PolicyLoader();
    loader.parseText(yamlOrJson, sourceName);
    return loader.finish();
  }

  // ---- documents

  private void parseText(String text, String source) {
    sources.add(source);
    List<Node> docs = new ArrayList<>();
    try {
      new Compose(LoadSettings.builder().setLabel(source).build()).composeAllFromString(text).forEach(docs::add);
    } catch (MarkedYamlEngineException e) {
      Position pos = e.getProblemMark().map(m -> new Position(m.getLine() + 1, m.getColumn() + 1))
          .orElse(Position.UNKNOWN);
      errors.add(new PolicyError(source, pos.line(), pos.column(), "", "", "invalid YAML: " + e.getProblem()));
      return;
    } catch (YamlEngineException e) {
      errors.add(new PolicyError(source, 0, 0, "", "", "invalid YAML: " + e.getMessage()));
      return;
    }
    int count = 0;
    for (Node doc : docs) {
      if (YamlObject.isNull(doc)) {
        continue;
      }
      count++;
      document(doc, source);
    }
    if (count == 0) {
      errors.add(new PolicyError(source, 0, 0, "", "", "no policy documents (expected: one or more "
          + "documents with apiVersion " + API_VERSION + ")"));
    }
  }

  private void document(Node doc, String source) {
    Context ctx = new Context(source);
    YamlObject root = YamlObject.of(ctx, "", doc, null);
    if (root == null) {
      report(ctx, "");
      return;
    }
    String apiVersion = root.string("apiVersion");
    if (apiVersion == null) {
      root.require("apiVersion");
    } else if (!apiVersion.equals(API_VERSION)) {
      root.error("apiVersion", "'" + apiVersion + "' (expected: " + API_VERSION + ")");
    }
    String kind = root.string("kind");
    if (kind == null) {
      root.require("kind");
    } else if (!KINDS.contains(kind)) {
      root.error("kind", "'" + kind + "' (expected: one of " + String.join(", ", KINDS) + ")"
          + YamlObject.suggestion(kind, KINDS));
      kind = null;
    }
    String name = null;
    String namespace = "default";
    YamlObject metadata = root.object("metadata");
    if (metadata == null) {
      root.require("metadata");
    } else {
      name = metadata.name("name", true);
      String ns = metadata.name("namespace", false);
      if (ns != null) {
        namespace = ns;
      }
      metadata.ignore(OBJECT_META);
      metadata.finish();
    }
    root.ignore("status");
    YamlObject spec = root.object("spec");
    if (spec == null && kind != null) {
      root.require("spec");
    }
    String resource = (kind == null ? "?" : kind) + "/" + namespace + "/" + (name == null ? "?" : name);
    Object policy = null;
    if (kind != null && spec != null) {
      PolicyMetaHolder meta = new PolicyMetaHolder(kind, namespace, name == null ? "?" : name, source, ctx);
      policy = switch (kind) {
        case "TrafficRoute" -> trafficRoute(spec, meta);
        case "DestinationPolicy" -> destinationPolicy(spec, meta);
        case "MTLSPolicy" -> mtlsPolicy(spec, meta);
        case "AuthorizationPolicy" -> authorizationPolicy(spec, meta);
        case "MeshConfig" -> meshConfig(spec, meta);
        default -> null;
      };
      spec.finish();
    }
    root.finish();
    if (ctx.issues.isEmpty() && policy != null && name != null) {
      policies.add(policy);
    } else {
      report(ctx, resource);
    }
  }

  private void report(Context ctx, String resource) {
    for (Issue i : ctx.issues) {
      errors.add(new PolicyError(ctx.source, i.position().line(), i.position().column(), resource, i.path(),
          i.message()));
    }
  }

  /** The parts of a {@link PolicyMeta} known before the spec is read (positions are filled as it is read). */
  private record PolicyMetaHolder(String kind, String namespace, String name, String source, Context ctx) {
    PolicyMeta build() {
      return new PolicyMeta(kind, namespace, name, source, ctx.positions);
    }
  }

  // ---- TrafficRoute

  private TrafficRoute trafficRoute(YamlObject spec, PolicyMetaHolder meta) {
    String service = spec.name("service", true);
    Duration timeout = spec.duration("timeout");
    YamlObject r = spec.object("retries");
    RetryPolicy retries = r == null ? null : retries(r, true);
    List<HttpRoute> routes = new ArrayList<>();
    for (YamlObject route : spec.objects("routes")) {
      routes.add(httpRoute(route, service));
    }
    return new TrafficRoute(meta.build(), service, timeout, retries, routes);
  }

  private HttpRoute httpRoute(YamlObject o, String service) {
    String name = o.string("name");
    List<Match> matches = new ArrayList<>();
    for (YamlObject m : o.objects("match")) {
      matches.add(match(m));
    }
    List<Backend> backends = new ArrayList<>();
    List<YamlObject> items = o.objects("backends");
    if (!o.has("backends")) {
      o.require("backends");
    } else if (items.isEmpty() && o.value("backends") instanceof org.snakeyaml.engine.v2.nodes.SequenceNode) {
      o.error("backends", "an empty list (expected: at least one backend)");
    }
    int total = 0;
    boolean weightsValid = true;
    for (YamlObject b : items) {
      String s = b.name("service", false);
      String subset = b.name("subset", false);
      Integer port = b.integer("port", 1, 65535);
      Integer weight = b.integer("weight", 0, 100);
      if (weight == null && b.has("weight")) {
        weightsValid = false;
      }
      if (weight == null && !b.has("weight") && items.size() > 1) {
        b.error("weight", "required field is missing (expected: a weight when a route has several backends)");
        weightsValid = false;
      }
      int w = weight != null ? weight : 100;
      total += w;
      b.finish();
      backends.add(new Backend(s != null ? s : service, subset, port == null ? 0 : port, w));
    }
    if (weightsValid && !items.isEmpty() && total != 100) {
      o.error("backends", "the weights add up to " + total + " (expected: 100)");
    }
    Duration timeout = o.duration("timeout");
    YamlObject r = o.object("retries");
    RetryPolicy retries = r == null ? null : retries(r, false);
    YamlObject f = o.object("fault");
    Fault fault = f == null ? null : fault(f);
    YamlObject rq = o.object("requestHeaders");
    HeaderChanges request = rq == null ? HeaderChanges.NONE : headerChanges(rq);
    YamlObject rs = o.object("responseHeaders");
    HeaderChanges response = rs == null ? HeaderChanges.NONE : headerChanges(rs);
    YamlObject rw = o.object("rewrite");
    TrafficRoute.Rewrite rewrite = null;
    if (rw != null) {
      String prefix = rw.string("prefix");
      if (prefix != null && !prefix.startsWith("/")) {
        rw.error("prefix", "'" + prefix + "' (expected: a path starting with '/')");
      }
      String authority = rw.string("authority");
      if (prefix == null && authority == null) {
        rw.errorHere("an empty rewrite (expected: prefix, authority or both)");
      }
      rw.finish();
      rewrite = new TrafficRoute.Rewrite(prefix, authority);
    }
    o.finish();
    return new HttpRoute(name, matches, backends, timeout, retries, fault, request, response, rewrite);
  }

  private Match match(YamlObject m) {
    StringMatch path = null;
    YamlObject p = m.object("path");
    if (p != null) {
      path = stringMatch(p, true);
      p.finish();
    }
    List<HeaderMatch> headers = new ArrayList<>();
    for (YamlObject h : m.objects("headers")) {
      String name = headerName(h, "name", true);
      StringMatch sm = stringMatch(h, false); // none of exact, prefix, regex: the header must be present
      h.finish();
      headers.add(new HeaderMatch(name, sm));
    }
    String method = m.string("method");
    if (method != null && !METHODS.contains(method)) {
      m.error("method", "'" + method + "' (expected: one of " + String.join(", ", METHODS.stream().sorted().toList())
          + ")");
    }
    if (p == null && headers.isEmpty() && method == null) {
      m.errorHere("an empty match (expected: path, headers or method)");
    }
    m.finish();
    return new Match(path, headers, method);
  }

  /** Exactly one of exact / prefix / regex. */
  private StringMatch stringMatch(YamlObject o, boolean isPath) {
    List<StringMatch> found = new ArrayList<>();
    for (StringMatch.Kind k : StringMatch.Kind.values()) {
      String key = k.name().toLowerCase(Locale.ROOT);
      String v = o.string(key);
      if (v == null) {
        continue;
      }
      if (k == StringMatch.Kind.REGEX) {
        try {
          com.google.re2j.Pattern.compile(v);
        } catch (com.google.re2j.PatternSyntaxException e) {
          o.error(key, "'" + v + "' (expected: an RE2 regular expression; " + e.getDescription() + ")");
          continue;
        }
      } else if (isPath && !v.startsWith("/")) {
        o.error(key, "'" + v + "' (expected: a path starting with '/')");
        continue;
      }
      found.add(new StringMatch(k, v));
    }
    if (found.size() > 1) {
      o.errorHere("several of exact, prefix, regex (expected: exactly one)");
    } else if (found.isEmpty() && isPath && !o.has("exact") && !o.has("prefix") && !o.has("regex")) {
      o.errorHere("no condition (expected: exactly one of exact, prefix, regex)");
    }
    return found.isEmpty() ? null : found.get(0);
  }

  private static String headerName(YamlObject o, String key, boolean required) {
    String n = required ? o.requiredString(key) : o.string(key);
    if (n != null && !validHeaderName(n)) {
      o.error(key, "'" + n + "' (expected: a header name: letters, digits and -, not a pseudo-header)");
      return null;
    }
    return n == null ? null : n.toLowerCase(Locale.ROOT);
  }

  private static boolean validHeaderName(String n) {
    return n.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
  }

  private RetryPolicy retries(YamlObject o, boolean budgetAllowed) {
    Integer attempts = o.integer("attempts", 0, Integer.MAX_VALUE);
    if (attempts == null && !o.has("attempts")) {
      o.require("attempts");
    }
    Duration perTry = o.duration("perTryTimeout");
    List<String> retryOn = o.list("retryOn", "a retry condition", item -> {
      if (!RetryPolicy.CONDITIONS.contains(item.text())) {
        item.error("'" + item.text() + "' (expected: one of " + String.join(", ", RetryPolicy.CONDITIONS) + ")"
            + YamlObject.suggestion(item.text(), RetryPolicy.CONDITIONS));
        return null;
      }
      return item.text();
    });
    if (!o.has("retryOn")) {
      retryOn = List.of("5xx", "reset", "connect-failure", "refused-stream");
    }
    List<Integer> codes = o.list("retriableStatusCodes", "an HTTP status code", item -> {
      try {
        int c = Integer.parseInt(item.text());
        if (c >= 100 && c <= 599) {
          return c;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      item.error(item.text() + " (expected: an HTTP status code, 100 to 599)");
      return null;
    });
    if (!codes.isEmpty() && !retryOn.contains("retriable-status-codes")) {
      o.error("retriableStatusCodes", codes + " (expected: retryOn to include retriable-status-codes)");
    }
    Duration base = null;
    Duration max = null;
    YamlObject b = o.object("backoff");
    if (b != null) {
      base = b.duration("baseInterval");
      max = b.duration("maxInterval");
      if (base != null && max != null && max.compareTo(base) < 0) {
        b.error("maxInterval", b.string("maxInterval") + " (expected: >= baseInterval " + b.string("baseInterval")
            + ")");
      }
      b.finish();
    }
    RetryPolicy.Budget budget = null;
    if (!budgetAllowed && o.has("budget")) {
      o.ignore("budget");
      o.error("budget", "a retry budget here (expected: in spec.retries; a budget applies to the whole service)");
    }
    YamlObject bu = budgetAllowed ? o.object("budget") : null;
    if (bu != null) {
      Double percent = bu.number("percent", 0, 100);
      if (percent == null && !bu.has("percent")) {
        bu.require("percent");
      }
      Integer min = bu.integer("minConcurrency", 0, Integer.MAX_VALUE);
      bu.finish();
      budget = new RetryPolicy.Budget(percent == null ? 0 : percent, min == null ? 3 : min);
    }
    o.finish();
    return new RetryPolicy(attempts == null ? 0 : attempts, perTry, retryOn, codes, base, max, budget);
  }

  private Fault fault(YamlObject o) {
    Fault.Delay delay = null;
    YamlObject d = o.object("delay");
    if (d != null) {
      Duration fixed = d.duration("fixedDelay");
      if (fixed == null && !d.has("fixedDelay")) {
        d.require("fixedDelay");
      }
      Double percent = d.number("percent", 0, 100);
      d.finish();
      delay = new Fault.Delay(fixed, percent == null ? 100 : percent);
    }
    Fault.Abort abort = null;
    YamlObject a = o.object("abort");
    if (a != null) {
      Integer http = a.integer("httpStatus", 200, 599);
      Integer grpc = a.integer("grpcStatus", 1, 16);
      if (a.has("httpStatus") == a.has("grpcStatus")) {
        a.errorHere((a.has("httpStatus") ? "both httpStatus and grpcStatus" : "no status")
            + " (expected: exactly one of httpStatus, grpcStatus)");
      }
      Double percent = a.number("percent", 0, 100);
      a.finish();
      abort = new Fault.Abort(http == null ? 0 : http, grpc == null ? 0 : grpc, percent == null ? 100 : percent);
    }
    if (d == null && a == null) {
      o.errorHere("an empty fault (expected: delay, abort or both)");
    }
    o.finish();
    return new Fault(delay, abort);
  }

  private HeaderChanges headerChanges(YamlObject o) {
    Map<String, String> set = headerMap(o, "set");
    Map<String, String> add = headerMap(o, "add");
    List<String> remove = o.list("remove", "a header name", item -> {
      if (!validHeaderName(item.text()) || item.text().equalsIgnoreCase("host")) {
        item.error("'" + item.text() + "' (expected: a header name other than host)");
        return null;
      }
      return item.text().toLowerCase(Locale.ROOT);
    });
    o.finish();
    return new HeaderChanges(set, add, remove);
  }

  private static Map<String, String> headerMap(YamlObject o, String key) {
    Map<String, String> raw = o.stringMap(key);
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      if (!validHeaderName(e.getKey()) || e.getKey().equalsIgnoreCase("host")) {
        o.ctx.error(o.ctx.positions.getOrDefault(o.child(key) + "." + e.getKey(), Position.UNKNOWN),
            o.child(key) + "." + e.getKey(), "'" + e.getKey() + "' (expected: a header name other than host)");
      } else {
        out.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
      }
    }
    return out;
  }

  // ---- DestinationPolicy

  private DestinationPolicy destinationPolicy(YamlObject spec, PolicyMetaHolder meta) {
    String service = spec.name("service", true);
    DestinationPolicy.LoadBalancer lb = null;
    YamlObject l = spec.object("loadBalancer");
    if (l != null) {
      LbPolicy policy = l.enumeration("policy", LbPolicy.class);
      if (policy == null && !l.has("policy")) {
        l.require("policy");
      }
      DestinationPolicy.HashKey key = null;
      YamlObject h = l.object("hashKey");
      if (h != null) {
        String header = headerName(h, "header", false);
        String cookie = null;
        Duration ttl = null;
        YamlObject c = h.object("cookie");
        if (c != null) {
          cookie = c.requiredString("name");
          ttl = c.duration("ttl");
          c.finish();
        }
        Boolean sourceIp = h.bool("sourceIp");
        int n = (h.has("header") ? 1 : 0) + (c != null ? 1 : 0) + (Boolean.TRUE.equals(sourceIp) ? 1 : 0);
        if (n != 1) {
          h.errorHere((n == 0 ? "no hash key" : "several hash keys")
              + " (expected: exactly one of header, cookie, sourceIp: true)");
        }
        h.finish();
        key = new DestinationPolicy.HashKey(header, cookie, ttl, Boolean.TRUE.equals(sourceIp));
        if (policy != null && policy != LbPolicy.RING_HASH && policy != LbPolicy.MAGLEV) {
          l.error("hashKey", "a hash key with policy " + policy + " (expected: policy RING_HASH or MAGLEV)");
        }
      } else if (policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV) {
        l.error("hashKey", "required field is missing (expected: a hash key for policy " + policy + ")");
      }
      l.finish();
      lb = new DestinationPolicy.LoadBalancer(policy == null ? LbPolicy.ROUND_ROBIN : policy, key);
    }
    DestinationPolicy.ConnectionLimits limits = null;
    YamlObject c = spec.object("connectionLimits");
    if (c != null) {
      limits = new DestinationPolicy.ConnectionLimits(c.integer("maxConnections", 1, Integer.MAX_VALUE),
          c.integer("maxPendingRequests", 1, Integer.MAX_VALUE), c.integer("maxRequests", 1, Integer.MAX_VALUE),
          c.integer("maxRetries", 0, Integer.MAX_VALUE), c.duration("connectTimeout"));
      c.finish();
    }
    DestinationPolicy.OutlierDetection outlier = null;
    YamlObject od = spec.object("outlierDetection");
    if (od != null) {
      outlier = new DestinationPolicy.OutlierDetection(od.integer("consecutive5xx", 0, Integer.MAX_VALUE),
          od.integer("consecutiveGatewayErrors", 0, Integer.MAX_VALUE),
          od.integer("consecutiveLocalOriginFailures", 0, Integer.MAX_VALUE), od.duration("interval"),
          od.duration("baseEjectionTime"), od.integer("maxEjectionPercent", 0, 100));
      od.finish();
    }
    DestinationPolicy.HealthCheck hc = null;
    YamlObject h = spec.object("healthCheck");
    if (h != null) {
      Duration interval = h.duration("interval");
      Duration timeout = h.duration("timeout");
      if (interval == null && !h.has("interval")) {
        h.require("interval");
      }
      if (timeout == null && !h.has("timeout")) {
        h.require("timeout");
      }
      Integer healthy = h.integer("healthyThreshold", 1, Integer.MAX_VALUE);
      Integer unhealthy = h.integer("unhealthyThreshold", 1, Integer.MAX_VALUE);
      String path = null;
      YamlObject http = h.object("http");
      if (http != null) {
        path = http.requiredString("path");
        if (path != null && !path.startsWith("/")) {
          http.error("path", "'" + path + "' (expected: a path starting with '/')");
        }
        http.finish();
      }
      boolean tcp = h.has("tcp");
      YamlObject t = h.object("tcp");
      if (t != null) {
        t.finish();
      } else if (tcp) {
        tcp = true;
      }
      if ((http != null) == tcp) {
        h.errorHere((tcp ? "both http and tcp" : "neither http nor tcp")
            + " (expected: exactly one of http: {path: ...}, tcp: {})");
      }
      h.finish();
      hc = new DestinationPolicy.HealthCheck(interval, timeout, healthy == null ? 1 : healthy,
          unhealthy == null ? 3 : unhealthy, path);
    }
    List<DestinationPolicy.Subset> subsets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (YamlObject s : spec.objects("subsets")) {
      String name = s.name("name", true);
      if (name != null && !names.add(name)) {
        s.error("name", "'" + name + "' (expected: a subset name not used before in this policy)");
      }
      Map<String, String> labels = s.stringMap("labels");
      if (labels.isEmpty() && s.has("labels") || !s.has("labels")) {
        s.error("labels", (s.has("labels") ? "{}" : "required field is missing")
            + " (expected: at least one pod label)");
      }
      s.finish();
      subsets.add(new DestinationPolicy.Subset(name, labels));
    }
    return new DestinationPolicy(meta.build(), service, lb, limits, outlier, hc, subsets);
  }

  // ---- MTLSPolicy, AuthorizationPolicy, MeshConfig

  private static Map<String, String> selector(YamlObject spec) {
    YamlObject s = spec.object("selector");
    if (s == null) {
      return Map.of();
    }
    Map<String, String> labels = s.stringMap("matchLabels");
    if (!s.has("matchLabels")) {
      s.require("matchLabels");
    } else if (labels.isEmpty()) {
      s.error("matchLabels", "no labels (expected: at least one label; leave out the selector to select "
          + "the whole namespace)");
    }
    s.finish();
    return labels;
  }

  private MtlsPolicy mtlsPolicy(YamlObject spec, PolicyMetaHolder meta) {
    Map<String, String> selector = selector(spec);
    Mode mode = spec.enumeration("mode", Mode.class);
    if (mode == null && !spec.has("mode")) {
      spec.require("mode");
    }
    return new MtlsPolicy(meta.build(), selector, mode);
  }

  private AuthorizationPolicy authorizationPolicy(YamlObject spec, PolicyMetaHolder meta) {
    Map<String, String> selector = selector(spec);
    Action action = spec.enumeration("action", Action.class);
    if (action == null && !spec.has("action")) {
      action = Action.ALLOW;
    }
    List<AuthorizationPolicy.Rule> rules = new ArrayList<>();
    for (YamlObject r : spec.objects("rules")) {
      List<AuthorizationPolicy.Source> from = new ArrayList<>();
      for (YamlObject f : r.objects("from")) {
        List<String> principals = f.list("principals", "a SPIFFE ID", item -> {
          if (!item.text().matches("spiffe://[^/]+/.+")) {
            item.error("'" + item.text() + "' (expected: a SPIFFE ID spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
            return null;
          }
          return item.text();
        });
        List<String> namespaces = f.list("namespaces", "a namespace", item -> dnsLabel(item));
        List<String> accounts = f.list("serviceAccounts", "a service account", item -> {
          if (!item.text().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?")) {
            item.error("'" + item.text() + "' (expected: <namespace>/<service-account>)");
            return null;
          }
          return item.text();
        });
        if (!f.has("principals") && !f.has("namespaces") && !f.has("serviceAccounts")) {
          f.errorHere("no callers (expected: principals, namespaces or serviceAccounts)");
        }
        f.finish();
        from.add(new AuthorizationPolicy.Source(principals, namespaces, accounts));
      }
      List<AuthorizationPolicy.Operation> to = new ArrayList<>();
      for (YamlObject t : r.objects("to")) {
        List<String> paths = t.list("paths", "a path", item -> {
          String p = item.text();
          boolean ok = p.equals("*") || p.startsWith("*") && p.indexOf('*', 1) < 0
              || p.startsWith("/") && (p.indexOf('*') < 0 || p.indexOf('*') == p.length() - 1);
          if (!ok) {
            item.error("'" + p + "' (expected: an exact path, a prefix '/api/*', a suffix '*.js' or '*')");
            return null;
          }
          return p;
        });
        List<String> methods = t.list("methods", "an HTTP method", item -> {
          if (!METHODS.contains(item.text())) {
            item.error("'" + item.text() + "' (expected: an HTTP method in upper case, e.g. GET)");
            return null;
          }
          return item.text();
        });
        if (!t.has("paths") && !t.has("methods")) {
          t.errorHere("no operations (expected: paths or methods)");
        }
        t.finish();
        to.add(new AuthorizationPolicy.Operation(paths, methods));
      }
      r.finish();
      rules.add(new AuthorizationPolicy.Rule(from, to));
    }
    return new AuthorizationPolicy(meta.build(), selector, action, rules);
  }

  private static String dnsLabel(YamlObject.Item item) {
    if (!item.text().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      item.error("'" + item.text() + "' (expected: a namespace name)");
      return null;
    }
    return item.text();
  }

  private MeshConfig meshConfig(YamlObject spec, PolicyMetaHolder meta) {
    String trustDomain = spec.string("trustDomain");
    if (trustDomain != null && !trustDomain.matches("[a-z0-9]([-.a-z0-9_]*[a-z0-9])?")) {
      spec.error("trustDomain", "'" + trustDomain + "' (expected: a trust domain such as cluster.local)");
    }
    Mode mode = Mode.PERMISSIVE;
    YamlObject m = spec.object("mtls");
    if (m != null) {
      Mode given = m.enumeration("mode", Mode.class);
      if (given != null) {
        mode = given;
      } else if (!m.has("mode")) {
        m.require("mode");
      }
      m.finish();
    }
    YamlObject r = spec.object("defaultRetries");
    RetryPolicy retries = r == null ? null : retries(r, true);
    return new MeshConfig(meta.build(), trustDomain, mode, retries);
  }

  // ---- references between documents

  private PolicyLoad finish() {
    List<TrafficRoute> routes = new ArrayList<>();
    List<DestinationPolicy> destinations = new ArrayList<>();
    List<MtlsPolicy> mtls = new ArrayList<>();
    List<AuthorizationPolicy> authz = new ArrayList<>();
    List<MeshConfig> meshes = new ArrayList<>();
    Map<String, PolicyMeta> routeOwners = new HashMap<>();
    Map<String, PolicyMeta> destinationOwners = new HashMap<>();
    Map<String, PolicyMeta> namespaceMtls = new HashMap<>();
    Set<String> names = new HashSet<>();
    for (Object p : policies) {
      PolicyMeta meta = switch (p) {
        case TrafficRoute t -> t.meta();
        case DestinationPolicy d -> d.meta();
        case MtlsPolicy m -> m.meta();
        case AuthorizationPolicy a -> a.meta();
        case MeshConfig c -> c.meta();
        default -> throw new IllegalStateException(p.toString());
      };
      if (!names.add(meta.resource())) {
        reject(meta, "metadata.name", "'" + meta.name() + "' (expected: a name not used by another "
            + meta.kind() + " in namespace " + meta.namespace() + ")");
        continue;
      }
      switch (p) {
        case TrafficRoute t -> {
          if (unique(routeOwners, t.meta().namespace() + "/" + t.service(), t.meta(), "spec.service",
              "service '" + t.service() + "'")) {
            routes.add(t);
          }
        }
        case DestinationPolicy d -> {
          if (unique(destinationOwners, d.meta().namespace() + "/" + d.service(), d.meta(), "spec.service",
              "service '" + d.service() + "'")) {
            destinations.add(d);
          }
        }
        case MtlsPolicy m -> {
          if (!m.selector().isEmpty() || unique(namespaceMtls, m.meta().namespace(), m.meta(), "spec",
              "namespace-wide mode (no selector)")) {
            mtls.add(m);
          }
        }
        case AuthorizationPolicy a -> authz.add(a);
        case MeshConfig c -> {
          if (meshes.isEmpty()) {
            meshes.add(c);
          } else {
            reject(c.meta(), "kind", "a second MeshConfig (expected: one per mesh; the first is "
                + meshes.get(0).meta().resource() + " in " + meshes.get(0).meta().source() + ")");
          }
        }
        default -> throw new IllegalStateException();
      }
    }
    // Backends: the subset must be defined by the DestinationPolicy of the backend's service.
    List<TrafficRoute> checked = new ArrayList<>();
    for (TrafficRoute t : routes) {
      boolean ok = true;
      for (int i = 0; i < t.routes().size(); i++) {
        List<Backend> backends = t.routes().get(i).backends();
        for (int j = 0; j < backends.size(); j++) {
          Backend b = backends.get(j);
          if (b.subset() == null) {
            continue;
          }
          String path = "spec.routes[" + i + "].backends[" + j + "].subset";
          DestinationPolicy d = destinations.stream()
              .filter(x -> x.meta().namespace().equals(t.meta().namespace()) && x.service().equals(b.service()))
              .findFirst().orElse(null);
          if (d == null) {
            errors.add(t.meta().error(path, "'" + b.subset() + "' (expected: a subset defined in a valid "
                + "DestinationPolicy for service '" + b.service() + "'; there is none)"));
            ok = false;
          } else if (d.subsets().stream().noneMatch(s -> s.name().equals(b.subset()))) {
            errors.add(t.meta().error(path, "'" + b.subset() + "' (expected: a subset of service '" + b.service()
                + "' defined in " + d.meta().resource() + ": "
                + String.join(", ", d.subsets().stream().map(DestinationPolicy.Subset::name).toList()) + ")"));
            ok = false;
          }
        }
      }
      if (ok) {
        checked.add(t);
      } else {
        invalid.add(t.meta().resource());
      }
    }
    // In source order: files as given, then line and column.
    errors.sort(java.util.Comparator.comparingInt((PolicyError e) -> sources.indexOf(e.source()))
        .thenComparingInt(PolicyError::line).thenComparingInt(PolicyError::column));
    return new PolicyLoad(new PolicySet(checked, destinations, mtls, authz,
        meshes.isEmpty() ? MeshConfig.DEFAULT : meshes.get(0)), errors);
  }

  private boolean unique(Map<String, PolicyMeta> owners, String key, PolicyMeta meta, String path, String what) {
    PolicyMeta first = owners.putIfAbsent(key, meta);
    if (first == null) {
      return true;
    }
    reject(meta, path, what + " already has a " + meta.kind() + " (expected: one per "
        + (meta.kind().equals("MTLSPolicy") ? "namespace" : "service") + "; the first is " + first.resource()
        + " in " + first.source() + ")");
    return false;
  }

  private void reject(PolicyMeta meta, String path, String message) {
    errors.add(meta.error(path, message));
    invalid.add(meta.resource());
  }
}
