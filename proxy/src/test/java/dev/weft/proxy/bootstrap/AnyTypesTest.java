package dev.weft.proxy.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnyTypesTest {

  @Test
  void everyNameIsItsTypesFullProtoName() {
    for (String name : AnyTypes.WEFT.names()) {
      Descriptor type = AnyTypes.WEFT.descriptor(name);
      assertThat(type).as(name).isNotNull();
      assertThat(type.getFullName()).isEqualTo(name);
    }
    assertThat(AnyTypes.WEFT.names()).hasSize(12).contains(ConfigTranslator.HCM, TlsTranslator.UPSTREAM);
  }

  @Test
  void unknownTypesHaveNoDescriptor() {
    assertThat(AnyTypes.WEFT.descriptor("google.protobuf.Empty")).isNull();
    AnyTypes own = AnyTypes.of(List.of(com.google.protobuf.Empty.getDescriptor()));
    assertThat(own.descriptor("google.protobuf.Empty")).isEqualTo(com.google.protobuf.Empty.getDescriptor());
    assertThat(own.all()).hasSize(1);
  }
}
