package dev.weft.proxy.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Fails a test class when Netty reports a leaked buffer. The {@link Installer} registers a leak
 * detector factory before any buffer class loads (a launcher session listener runs first); the
 * extension, auto-registered for every test class, forces collection after the class and fails
 * it with the leak records. Integration tests run with {@code -Dio.netty.leakDetection.level=paranoid}.
 */
public final class LeakCheck implements AfterAllCallback {
  private static final List<String> LEAKS = new ArrayList<>();

  /** Installs the recording leak detector factory at the start of the test run. */
  public static final class Installer implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
      ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new Recording());
    }
  }

  /** Leak reports seen so far (and clears them). */
  public static synchronized List<String> drain() {
    List<String> copy = new ArrayList<>(LEAKS);
    LEAKS.clear();
    return copy;
  }

  static synchronized void record(String leak) {
    LEAKS.add(leak);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED) {
      return;
    }
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(20);
      // Leaks are reported when the detector next tracks an allocation.
      ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(1);
      ByteBuf b = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
      ByteBuf c = Unpooled.directBuffer(1);
      a.release();
      b.release();
      c.release();
    }
    List<String> leaks = drain();
    if (!leaks.isEmpty()) {
      throw new AssertionError(leaks.size() + " Netty buffer leak(s) in " + context.getDisplayName() + ":\n"
          + String.join("\n\n", leaks));
    }
  }

  private static final class Recording extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
        long maxActive) {
      return new ResourceLeakDetector<>(resource, samplingInterval, maxActive) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          record("LEAK: " + resourceType + records);
          super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          record("LEAK: " + resourceType + " (untraced)");
          super.reportUntracedLeak(resourceType);
        }
      };
    }
  }
}
