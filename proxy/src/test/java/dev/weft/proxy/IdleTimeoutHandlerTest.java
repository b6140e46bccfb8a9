package dev.weft.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdleTimeoutHandlerTest {
  private final List<Object> events = new ArrayList<>();

  private EmbeddedChannel channel() {
    EmbeddedChannel ch = EmbeddedChannel.builder()
        .handlers(new IdleTimeoutHandler(Duration.ofSeconds(10)), new ChannelInboundHandlerAdapter() {
          @Override
          public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
          }
        }).build();
    ch.freezeTime();
    return ch;
  }

  private static void advance(EmbeddedChannel ch, long seconds) {
    ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
  }

  @Test
  void firesAfterTheTimeoutWithoutTraffic() {
    EmbeddedChannel ch = channel();
    advance(ch, 9);
    assertThat(events).isEmpty();
    advance(ch, 1);
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    advance(ch, 10);
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT, IdleStateEvent.ALL_IDLE_STATE_EVENT);
    ch.finishAndReleaseAll();
  }

  @Test
  void readsAndWritesPushTheDeadlineBack() {
    EmbeddedChannel ch = channel();
    advance(ch, 6);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
    assertThat(ch.<Object>readInbound()).isNotNull().satisfies(m -> ((io.netty.buffer.ByteBuf) m).release());
    advance(ch, 6); // 12 s after start, 6 s after the read
    assertThat(events).isEmpty();
    ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {2}));
    ch.<io.netty.buffer.ByteBuf>readOutbound().release();
    advance(ch, 9);
    assertThat(events).isEmpty();
    advance(ch, 1);
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    // Traffic after an idle event makes the next one a first again.
    ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {3}));
    ch.<io.netty.buffer.ByteBuf>readOutbound().release();
    advance(ch, 10);
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT,
        IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    ch.finishAndReleaseAll();
  }

  @Test
  void aWriteWithAVoidPromiseCounts() {
    EmbeddedChannel ch = channel();
    advance(ch, 6);
    ChannelPromise none = ch.voidPromise();
    ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}), none);
    ch.<io.netty.buffer.ByteBuf>readOutbound().release();
    advance(ch, 6);
    assertThat(events).isEmpty();
    advance(ch, 4);
    assertThat(events).hasSize(1);
    ch.finishAndReleaseAll();
  }

  @Test
  void stopsWhenTheChannelCloses() {
    EmbeddedChannel ch = channel();
    ch.close();
    advance(ch, 60);
    assertThat(events).isEmpty();
  }
}
