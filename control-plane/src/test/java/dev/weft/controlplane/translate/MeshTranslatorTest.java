package dev.weft.controlplane.translate;

import static dev.weft.controlplane.translate.MeshFixtures.LOCAL;
import static dev.weft.controlplane.translate.MeshFixtures.PRODUCTPAGE_NODE;
import static dev.weft.controlplane.translate.MeshFixtures.REGISTRY;
import static dev.weft.controlplane.translate.MeshFixtures.REVIEWS_V1_NODE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.controlplane.policy.PolicySet;
import org.junit.jupiter.api.Test;

class MeshTranslatorTest {

  @Test
  void meshWithoutPoliciesIsAcceptedByTheProxy() {
    XdsResources out = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, PRODUCTPAGE_NODE, LOCAL);
    assertThat(MeshTranslator.validate(out)).isEmpty();
    XdsResources reviews = MeshTranslator.translate(PolicySet.EMPTY, REGISTRY, REVIEWS_V1_NODE, LOCAL);
    assertThat(MeshTranslator.validate(reviews)).isEmpty();
  }
}
