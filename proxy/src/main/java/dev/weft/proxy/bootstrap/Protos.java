package dev.weft.proxy.bootstrap;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Internal;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;

/**
 * Descriptor look-ups and {@code Any} unpacking that leave protobuf's reflection tables alone. A
 * generated message's {@code getDescriptorForType()} (which {@code Any.unpack} and {@code Any.is}
 * call) first builds its type's table: a {@code java.lang.reflect.Method} per accessor, kept for
 * the process's lifetime. Weft reads configs through generated getters and
 * {@link DynamicMessage}s, which need no table.
 */
final class Protos {
  private Protos() {}

  /** The type of {@code message}, from its generated class's static {@code getDescriptor()}. */
  static Descriptor descriptorOf(Message message) {
    if (message instanceof DynamicMessage) {
      return message.getDescriptorForType();
    }
    try {
      return (Descriptor) message.getClass().getMethod("getDescriptor").invoke(null);
    } catch (ReflectiveOperationException | ClassCastException e) {
      return message.getDescriptorForType();
    }
  }

  /** {@link Any#unpack(Class)}, without building {@code type}'s reflection table. */
  static <T extends Message> T unpack(Any any, Class<T> type) throws InvalidProtocolBufferException {
    T prototype = Internal.getDefaultInstance(type);
    String url = any.getTypeUrl();
    if (!url.substring(url.lastIndexOf('/') + 1).equals(descriptorOf(prototype).getFullName())) {
      throw new InvalidProtocolBufferException("Type of the Any message does not match the given class.");
    }
    return type.cast(prototype.getParserForType().parseFrom(any.getValue()));
  }
}
