package dev.weft.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class GrpcMessagesTest {
  @Test
  void framesAProtobufBytesFieldBehindTheLengthPrefix() {
    ByteBuf framed = GrpcMessages.framedPayload(UnpooledByteBufAllocator.DEFAULT, 200);
    try {
      assertThat(framed.readByte()).isZero(); // not compressed
      int length = framed.readInt();
      assertThat(length).isEqualTo(framed.readableBytes()).isEqualTo(1 + 2 + 200);
      assertThat(framed.readByte()).isEqualTo((byte) 0x0a); // field 1, length-delimited
      assertThat((int) framed.readUnsignedByte()).isEqualTo(0xc8); // varint 200, low 7 bits + continuation
      assertThat((int) framed.readUnsignedByte()).isEqualTo(0x01);
    } finally {
      framed.release();
    }
  }

  @Test
  void emptyPayloadIsAnEmptyMessage() {
    ByteBuf framed = GrpcMessages.framedPayload(UnpooledByteBufAllocator.DEFAULT, 0);
    try {
      assertThat(framed.readableBytes()).isEqualTo(GrpcMessages.PREFIX_LENGTH);
      assertThat(framed.getInt(1)).isZero();
    } finally {
      framed.release();
    }
  }

  @Test
  void parsesStatusOrReportsMissing() {
    assertThat(GrpcMessages.parseStatus("0")).isZero();
    assertThat(GrpcMessages.parseStatus("14")).isEqualTo(14);
    assertThat(GrpcMessages.parseStatus(null)).isEqualTo(-1);
    assertThat(GrpcMessages.parseStatus("ok")).isEqualTo(-1);
  }
}
