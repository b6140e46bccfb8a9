package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnyTypesTest {

  @Test
  void everyNameIsItsTypesFullProtoName() {
    for (String name : AnyTypes.WEFT.names()) {
      Message prototype = AnyTypes.WEFT.prototype(name);
      assertThat(prototype).as(name).isNotNull();
      assertThat(prototype.getDescriptorForType().getFullName()).isEqualTo(name);
    }
    assertThat(AnyTypes.WEFT.names()).hasSize(12).contains(ConfigTranslator.HCM, TlsTranslator.UPSTREAM);
  }

  @Test
  void unknownTypesHaveNoPrototype() {
    assertThat(AnyTypes.WEFT.prototype("google.protobuf.Empty")).isNull();
    AnyTypes own = AnyTypes.of(List.of(com.google.protobuf.Empty.getDefaultInstance()));
    assertThat(own.prototype("google.protobuf.Empty")).isEqualTo(com.google.protobuf.Empty.getDefaultInstance());
    assertThat(own.all()).hasSize(1);
  }
}
