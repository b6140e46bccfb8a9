package dev.weft.proxy.lb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Vectors computed with the reference xxHash library (libxxhash 0.8, XXH64). */
class XxHash64Test {

  @Test
  void matchesTheReferenceImplementation() {
    assertThat(XxHash64.hash("")).isEqualTo(0xef46db3751d8e999L);
    assertThat(XxHash64.hash("a")).isEqualTo(0xd24ec4f1a98c6e5bL);
    assertThat(XxHash64.hash("abc")).isEqualTo(0x44bc2cf5ad770999L);
    assertThat(XxHash64.hash("127.0.0.1:8080_0")).isEqualTo(0xf673a43b9624fa24L);
    assertThat(XxHash64.hash("127.0.0.1:8080", 1)).isEqualTo(0xa5d6dc0053ab4ed8L);
    assertThat(XxHash64.hash("Nobody inspects the spammish repetition")).isEqualTo(0xfbcea83c8a378bf1L);
    assertThat(XxHash64.hash("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 0x1234567890abcdefL))
        .isEqualTo(0x8f5f51499a5966eeL);
  }

  @Test
  void hashesARangeLikeTheSubstring() {
    String s = "xx0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZyy";
    assertThat(XxHash64.hash(s, 2, s.length() - 2, 0x1234567890abcdefL)).isEqualTo(0x8f5f51499a5966eeL);
    assertThat(XxHash64.hash("[abc]", 1, 4, 0)).isEqualTo(0x44bc2cf5ad770999L);
  }
}
