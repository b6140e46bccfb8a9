package dev.weft.proxy.bootstrap;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.ListValue;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads YAML (and so JSON, its subset) into a protobuf message following the proto3 JSON
 * mapping that Envoy uses: field names in snake_case or lowerCamelCase, enums by name, durations
 * as {@code "1.5s"}, wrappers as plain values, {@code Any} with an {@code @type} key.
 *
 * <p>It walks the YAML node tree against the message descriptors directly, without JSON
 * reflection over every Envoy type, and reports every error with its file, line, column and
 * field path. Only the {@code Any} payload types given to the constructor are accepted, which
 * is how Weft limits configuration to what it supports.
 */
public final class ProtoYamlParser {

  private static final Map<Descriptor, Map<String, FieldDescriptor>> FIELDS_BY_NAME = new ConcurrentHashMap<>();

  private final AnyTypes anyTypes;

  /** @param anyTypes the message types allowed inside {@code Any} */
  public ProtoYamlParser(AnyTypes anyTypes) {
    this.anyTypes = anyTypes;
  }

  /** The outcome of a parse: the message and where each field path came from. */
  public record Parsed<M extends Message>(M message, Map<String, String> locations) {}

  /**
   * Parses {@code text} into a message of {@code builder}'s type.
   *
   * @param sourceName file name used in error locations
   * @throws ConfigException with every error found
   */
  @SuppressWarnings("unchecked")
  public <M extends Message> Parsed<M> parse(String text, String sourceName, Message.Builder builder)
      throws ConfigException {
    Run run = new Run(sourceName);
    Optional<Node> root;
    try {
      root = new Compose(LoadSettings.builder().setLabel(sourceName).build()).composeString(text);
    } catch (MarkedYamlEngineException e) {
      String where = e.getProblemMark().map(run::where).orElse(sourceName);
      throw new ConfigException(List.of(new ConfigError(where, "", "invalid YAML: " + e.getProblem())));
    } catch (YamlEngineException e) {
      throw new ConfigException(List.of(new ConfigError(sourceName, "", "invalid YAML: " + e.getMessage())));
    }
    if (root.isEmpty() || isNull(root.get())) {
      throw new ConfigException(List.of(new ConfigError(sourceName, "", "the document is empty")));
    }
    // Built as a DynamicMessage, which works from descriptors alone, then handed to the generated
    // builder as bytes: setting fields of a generated message by descriptor would initialize its
    // reflection tables (a java.lang.reflect.Method per accessor of every message type touched,
    // ~17,000 objects kept for the process's lifetime) for a parse that runs once.
    Message.Builder dynamic = DynamicMessage.newBuilder(Protos.descriptorOf(builder.getDefaultInstanceForType()));
    run.mergeMessage(root.get(), dynamic, "");
    if (!run.errors.isEmpty()) {
      throw new ConfigException(run.errors);
    }
    mergeBytes(builder, dynamic.build().toByteString());
    return new Parsed<>((M) builder.build(), Map.copyOf(run.locations));
  }

  /** Merges a serialized message of the builder's type (one this parser just built). */
  private static void mergeBytes(Message.Builder builder, ByteString bytes) {
    try {
      builder.mergeFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a message built here does not parse: " + e.getMessage(), e);
    }
  }

  /**
   * Seconds as protobuf's JSON mapping writes them ("-1.5", "300", "0.000000001"): an optional
   * sign, digits, and up to nine fraction digits; the nanos carry the seconds' sign. Null if
   * the text is not that or is outside the Duration range.
   */
  static Duration durationOf(String text) {
    int i = 0;
    boolean negative = false;
    if (!text.isEmpty() && (text.charAt(0) == '-' || text.charAt(0) == '+')) {
      negative = text.charAt(0) == '-';
      i = 1;
    }
    long seconds = 0;
    int digits = 0;
    for (; i < text.length() && Character.isDigit(text.charAt(i)); i++, digits++) {
      if (seconds > 315_576_000_000L) {
        return null;
      }
      seconds = seconds * 10 + (text.charAt(i) - '0');
    }
    int nanos = 0;
    int fraction = 0;
    if (i < text.length() && text.charAt(i) == '.') {
      for (i++; i < text.length() && Character.isDigit(text.charAt(i)); i++, fraction++) {
        if (fraction == 9) {
          return null;
        }
        nanos = nanos * 10 + (text.charAt(i) - '0');
      }
    }
    if (i != text.length() || digits + fraction == 0 || seconds > 315_576_000_000L) {
      return null;
    }
    for (int f = fraction; f < 9; f++) {
      nanos *= 10;
    }
    return Duration.newBuilder().setSeconds(negative ? -seconds : seconds).setNanos(negative ? -nanos : nanos).build();
  }

  private static boolean isNull(Node node) {
    if (!(node instanceof ScalarNode s) || s.getScalarStyle() != ScalarStyle.PLAIN) {
      return false;
    }
    return switch (s.getValue()) {
      case "", "~", "null", "Null", "NULL" -> true;
      default -> false;
    };
  }

  private static Map<String, FieldDescriptor> fieldsByName(Descriptor d) {
    return FIELDS_BY_NAME.computeIfAbsent(d, desc -> {
      Map<String, FieldDescriptor> m = new HashMap<>();
      for (FieldDescriptor f : desc.getFields()) {
        m.put(f.getName(), f);
        m.put(f.getJsonName(), f);
      }
      return Map.copyOf(m);
    });
  }

  /** One parse: the source name, errors so far and the locations of field paths. */
  private final class Run {
    final String source;
    final List<ConfigError> errors = new ArrayList<>();
    final Map<String, String> locations = new HashMap<>();

    Run(String source) {
      this.source = source;
    }

    String where(Mark mark) {
      return source + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
    }

    String where(Node node) {
      return node.getStartMark().map(this::where).orElse(source);
    }

    void error(Node node, String path, String message) {
      errors.add(new ConfigError(where(node), path, message));
    }

    void mergeMessage(Node node, Message.Builder builder, String path) {
      Descriptor type = builder.getDescriptorForType();
      if (mergeWellKnown(node, builder, path)) {
        return;
      }
      if (!(node instanceof MappingNode map)) {
        error(node, path, "expected a mapping for " + type.getFullName() + ", got " + describe(node));
        return;
      }
      locations.putIfAbsent(path, where(node));
      Map<String, FieldDescriptor> fields = fieldsByName(type);
      Set<String> seen = new HashSet<>();
      Map<String, String> oneofs = new HashMap<>();
      for (NodeTuple tuple : map.getValue()) {
        Node keyNode = tuple.getKeyNode();
        Node valueNode = tuple.getValueNode();
        if (!(keyNode instanceof ScalarNode key)) {
          error(keyNode, path, "expected a field name, got " + describe(keyNode));
          continue;
        }
        String name = key.getValue();
        FieldDescriptor field = fields.get(name);
        String fieldPath = path.isEmpty() ? name : path + "." + name;
        if (field == null) {
          error(keyNode, path, "unknown field '" + name + "' in " + type.getFullName() + suggestion(name, type));
          continue;
        }
        fieldPath = path.isEmpty() ? field.getName() : path + "." + field.getName();
        if (!seen.add(field.getName())) {
          error(keyNode, fieldPath, "field given twice");
          continue;
        }
        if (isNull(valueNode) && !isValueType(field)) {
          continue; // JSON null: leave the field at its default
        }
        if (field.getRealContainingOneof() != null) {
          String oneof = field.getRealContainingOneof().getName();
          String other = oneofs.putIfAbsent(oneof, field.getName());
          if (other != null) {
            error(keyNode, fieldPath, "'" + other + "' and '" + field.getName() + "' are both set, but only one of '"
                + oneof + "' may be");
            continue;
          }
        }
        locations.put(fieldPath, where(keyNode));
        mergeField(valueNode, builder, field, fieldPath);
      }
    }

    private boolean isValueType(FieldDescriptor f) {
      return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && f.getMessageType().getFullName().equals("google.protobuf.Value");
    }

    void mergeField(Node node, Message.Builder builder, FieldDescriptor field, String path) {
      if (field.isMapField()) {
        if (!(node instanceof MappingNode map)) {
          error(node, path, "expected a mapping, got " + describe(node));
          return;
        }
        FieldDescriptor keyField = field.getMessageType().findFieldByName("key");
        FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
        for (NodeTuple t : map.getValue()) {
          Message.Builder entry = builder.newBuilderForField(field);
          String entryPath = path + "[" + scalarText(t.getKeyNode()) + "]";
          Object key = scalarValue(t.getKeyNode(), keyField, entryPath);
          if (key == null) {
            continue;
          }
          entry.setField(keyField, key);
          Object value = singleValue(t.getValueNode(), entry, valueField, entryPath);
          if (value != null) {
            entry.setField(valueField, value);
            builder.addRepeatedField(field, entry.build());
          }
        }
        return;
      }
      if (field.isRepeated()) {
        if (!(node instanceof SequenceNode seq)) {
          error(node, path, "expected a list, got " + describe(node));
          return;
        }
        int i = 0;
        for (Node item : seq.getValue()) {
          String itemPath = path + "[" + i++ + "]";
          locations.put(itemPath, where(item));
          Object value = singleValue(item, builder, field, itemPath);
          if (value != null) {
            builder.addRepeatedField(field, value);
          }
        }
        return;
      }
      Object value = singleValue(node, builder, field, path);
      if (value != null) {
        builder.setField(field, value);
      }
    }

    /** Converts one (non-repeated) value; null after reporting an error. */
    Object singleValue(Node node, Message.Builder parent, FieldDescriptor field, String path) {
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        Message.Builder child = parent.newBuilderForField(field);
        int before = errors.size();
        mergeMessage(node, child, path);
        return errors.size() == before ? child.build() : null;
      }
      return scalarValue(node, field, path);
    }

    Object scalarValue(Node node, FieldDescriptor field, String path) {
      if (!(node instanceof ScalarNode scalar)) {
        error(node, path, "expected " + expected(field) + ", got " + describe(node));
        return null;
      }
      String v = scalar.getValue();
      try {
        return switch (field.getType()) {
          case INT32, SINT32, SFIXED32 -> Integer.parseInt(v);
          case UINT32, FIXED32 -> {
            long l = Long.parseLong(v);
            if (l < 0 || l > 0xFFFF_FFFFL) {
              throw new NumberFormatException();
            }
            yield (int) l;
          }
          case INT64, SINT64, SFIXED64 -> Long.parseLong(v);
          case UINT64, FIXED64 -> Long.parseUnsignedLong(v);
          case FLOAT -> Float.parseFloat(v);
          case DOUBLE -> Double.parseDouble(v);
          case BOOL -> switch (v) {
            case "true", "True", "TRUE" -> Boolean.TRUE;
            case "false", "False", "FALSE" -> Boolean.FALSE;
            default -> throw new NumberFormatException();
          };
          case STRING -> v;
          case BYTES -> ByteString.copyFrom(Base64.getDecoder().decode(v));
          case ENUM -> enumValue(field, v);
          default -> throw new IllegalStateException("unexpected scalar type " + field.getType());
        };
      } catch (IllegalArgumentException e) {
        error(node, path, "'" + v + "' is not " + expected(field));
        return null;
      }
    }

    private EnumValueDescriptor enumValue(FieldDescriptor field, String v) {
      EnumValueDescriptor e = field.getEnumType().findValueByName(v);
      if (e == null) {
        try {
          e = field.getEnumType().findValueByNumber(Integer.parseInt(v));
        } catch (NumberFormatException ignored) {
          // fall through to the error below
        }
      }
      if (e == null) {
        throw new IllegalArgumentException();
      }
      return e;
    }

    private boolean mergeWellKnown(Node node, Message.Builder builder, String path) {
      String type = builder.getDescriptorForType().getFullName();
      switch (type) {
        case "google.protobuf.Duration" -> {
          Duration d = parseDuration(node, path);
          if (d != null) {
            mergeBytes(builder, d.toByteString());
          }
          return true;
        }
        case "google.protobuf.BoolValue", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
             "google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.FloatValue",
             "google.protobuf.DoubleValue", "google.protobuf.StringValue", "google.protobuf.BytesValue" -> {
          FieldDescriptor valueField = builder.getDescriptorForType().findFieldByName("value");
          Object v = scalarValue(node, valueField, path);
          if (v != null) {
            builder.setField(valueField, v);
          }
          return true;
        }
        case "google.protobuf.Struct" -> {
          if (node instanceof MappingNode) {
            mergeBytes(builder, toValue(node, path).getStructValue().toByteString());
          } else {
            error(node, path, "expected a mapping, got " + describe(node));
          }
          return true;
        }
        case "google.protobuf.Value" -> {
          mergeBytes(builder, toValue(node, path).toByteString());
          return true;
        }
        case "google.protobuf.ListValue" -> {
          if (node instanceof SequenceNode) {
            mergeBytes(builder, toValue(node, path).getListValue().toByteString());
          } else {
            error(node, path, "expected a list, got " + describe(node));
          }
          return true;
        }
        case "google.protobuf.Any" -> {
          mergeAny(node, builder, path);
          return true;
        }
        default -> {
          return false;
        }
      }
    }

    private void mergeAny(Node node, Message.Builder builder, String path) {
      if (!(node instanceof MappingNode map)) {
        error(node, path, "expected a mapping with '@type', got " + describe(node));
        return;
      }
      String typeUrl = null;
      List<NodeTuple> rest = new ArrayList<>();
      for (NodeTuple t : map.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("@type")) {
          typeUrl = scalarText(t.getValueNode());
        } else {
          rest.add(t);
        }
      }
      if (typeUrl == null) {
        error(node, path, "missing '@type'");
        return;
      }
      String typeName = typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
      Descriptor anyType = anyTypes.descriptor(typeName);
      if (anyType == null) {
        error(node, path + ".@type", "'" + typeName + "' is not a type Weft supports here (supported: "
            + String.join(", ", anyTypes.names()) + ")");
        return;
      }
      Message.Builder inner = DynamicMessage.newBuilder(anyType);
      int before = errors.size();
      mergeMessage(new MappingNode(map.getTag(), true, rest, map.getFlowStyle(), map.getStartMark(), map.getEndMark()),
          inner, path);
      if (errors.size() == before) {
        mergeBytes(builder, Any.pack(inner.build()).toByteString());
      }
    }

    private Duration parseDuration(Node node, String path) {
      String v = node instanceof ScalarNode s ? s.getValue() : null;
      if (v == null || !v.endsWith("s")) {
        error(node, path, "'" + (v == null ? describe(node) : v)
            + "' is not a duration (expected seconds with an 's' suffix, e.g. \"0.25s\" or \"5s\")");
        return null;
      }
      Duration d = durationOf(v.substring(0, v.length() - 1));
      if (d == null) {
        error(node, path, "'" + v + "' is not a duration (expected seconds with an 's' suffix, e.g. \"0.25s\")");
      }
      return d;
    }

    private Value toValue(Node node, String path) {
      if (node instanceof MappingNode map) {
        Struct.Builder s = Struct.newBuilder();
        for (NodeTuple t : map.getValue()) {
          String k = scalarText(t.getKeyNode());
          s.putFields(k, toValue(t.getValueNode(), path + "." + k));
        }
        return Value.newBuilder().setStructValue(s).build();
      }
      if (node instanceof SequenceNode seq) {
        ListValue.Builder l = ListValue.newBuilder();
        for (Node item : seq.getValue()) {
          l.addValues(toValue(item, path));
        }
        return Value.newBuilder().setListValue(l).build();
      }
      ScalarNode s = (ScalarNode) node;
      if (isNull(s)) {
        return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
      }
      String v = s.getValue();
      if (s.getScalarStyle() == ScalarStyle.PLAIN) {
        if (v.equals("true") || v.equals("false")) {
          return Value.newBuilder().setBoolValue(Boolean.parseBoolean(v)).build();
        }
        try {
          return Value.newBuilder().setNumberValue(Double.parseDouble(v)).build();
        } catch (NumberFormatException ignored) {
          // a plain string
        }
      }
      return Value.newBuilder().setStringValue(v).build();
    }

    private String scalarText(Node node) {
      return node instanceof ScalarNode s ? s.getValue() : describe(node);
    }
  }

  private static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    return "'" + ((ScalarNode) node).getValue() + "'";
  }

  private static String expected(FieldDescriptor f) {
    return switch (f.getJavaType()) {
      case INT, LONG -> (f.getType().name().startsWith("U") || f.getType().name().startsWith("FIXED")
          ? "a non-negative integer" : "an integer");
      case FLOAT, DOUBLE -> "a number";
      case BOOLEAN -> "true or false";
      case STRING -> "a string";
      case BYTE_STRING -> "base64 bytes";
      case ENUM -> "one of " + f.getEnumType().getValues().stream().map(EnumValueDescriptor::getName).toList();
      case MESSAGE -> "a mapping";
    };
  }

  /** " (did you mean 'x'?)" for a near miss of a field name, else "". */
  private static String suggestion(String name, Descriptor type) {
    String best = null;
    int bestDistance = 3;
    for (FieldDescriptor f : type.getFields()) {
      int d = distance(name, f.getName());
      if (d < bestDistance) {
        bestDistance = d;
        best = f.getName();
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
