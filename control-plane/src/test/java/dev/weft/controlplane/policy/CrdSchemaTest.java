package dev.weft.controlplane.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The CRDs in {@code deploy/crds/} and the policy loader accept exactly the same fields: for every
 * object in each CRD's OpenAPI schema, a document with an unknown key there is rejected by the
 * loader, and the loader's list of expected fields is the schema's list of properties.
 */
class CrdSchemaTest {

  private static final Path CRDS = Paths.get("..", "deploy", "crds").toAbsolutePath().normalize();
  private static final String UNKNOWN = "zzzUnknown";

  @ParameterizedTest
  @ValueSource(strings = {"TrafficRoute", "DestinationPolicy", "MTLSPolicy", "AuthorizationPolicy", "MeshConfig"})
  @SuppressWarnings("unchecked")
  void schemaAndLoaderAgreeOnEveryField(String kind) throws Exception {
    Path file = CRDS.resolve(PolicyLoader.PLURALS.get(kind) + ".yaml");
    Map<String, Object> crd = (Map<String, Object>) new Load(LoadSettings.builder().build())
        .loadFromString(Files.readString(file));
    Map<String, Object> spec = (Map<String, Object>) crd.get("spec");
    assertThat(spec.get("group")).isEqualTo("weft.dev");
    assertThat(((Map<String, Object>) spec.get("names")).get("kind")).isEqualTo(kind);
    assertThat(((Map<String, Object>) spec.get("names")).get("plural"))
        .as("the plural the informers and status writer use").isEqualTo(PolicyLoader.PLURALS.get(kind));
    Map<String, Object> version = ((List<Map<String, Object>>) spec.get("versions")).get(0);
    assertThat(version.get("name")).isEqualTo("v1alpha1");
    assertThat((Map<String, Object>) version.get("subresources")).containsKey("status");
    Map<String, Object> root = (Map<String, Object>) ((Map<String, Object>) version.get("schema")).get("openAPIV3Schema");
    Map<String, Object> specSchema = (Map<String, Object>) ((Map<String, Object>) root.get("properties")).get("spec");

    // Schema properties of every object, by the loader's path syntax.
    Map<String, Set<String>> schemaFields = new TreeMap<>();
    Object filled = fill(specSchema, "spec", schemaFields);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", "weft.dev/v1alpha1");
    doc.put("kind", kind);
    doc.put("metadata", Map.of("name", "x", "namespace", "shop"));
    doc.put("spec", filled);
    String yaml = new Dump(DumpSettings.builder().build()).dumpToString(doc);

    Map<String, Set<String>> loaderFields = new TreeMap<>();
    for (PolicyError e : PolicyLoader.parse(yaml, "generated.yaml").errors()) {
      if (e.path().endsWith("." + UNKNOWN) && e.message().startsWith("unknown field")) {
        String object = e.path().substring(0, e.path().length() - UNKNOWN.length() - 1);
        if (e.message().endsWith("(expected: an empty object)")) {
          loaderFields.put(object, new TreeSet<>());
          continue;
        }
        String list = e.message().substring(e.message().indexOf("expected one of: ") + 17, e.message().length() - 1);
        loaderFields.put(object, new TreeSet<>(Arrays.asList(list.split(", "))));
      }
    }
    assertThat(loaderFields).as("fields of %s: loader (actual) vs %s (expected)", kind, file)
        .isEqualTo(schemaFields);
  }

  /** A value for {@code schema} with an unknown key in every object; records each object's properties. */
  @SuppressWarnings("unchecked")
  private static Object fill(Map<String, Object> schema, String path, Map<String, Set<String>> fields) {
    String type = (String) schema.get("type");
    if ("array".equals(type)) {
      Map<String, Object> items = (Map<String, Object>) schema.get("items");
      return "object".equals(items.get("type")) && items.containsKey("properties")
          ? List.of(fill(items, path + "[0]", fields)) : new ArrayList<>();
    }
    if (!"object".equals(type) || !schema.containsKey("properties")) {
      return null;
    }
    Map<String, Object> props = (Map<String, Object>) schema.get("properties");
    fields.put(path, new TreeSet<>(props.keySet()));
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> p : props.entrySet()) {
      Object v = fill((Map<String, Object>) p.getValue(), path + "." + p.getKey(), fields);
      if (v != null) {
        out.put(p.getKey(), v);
      }
    }
    out.put(UNKNOWN, 1);
    return out;
  }
}
