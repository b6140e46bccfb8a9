package dev.weft.controlplane.xds;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Consumer;

/**
 * The response side of an ADS stream as the java-control-plane server sees it: every call goes to
 * the real gRPC observer; each response is shown to {@code onSend} first (so the guard knows the
 * nonce before the client can answer it), and cancellation also closes the guard.
 */
final class ForwardingResponses<T> extends ServerCallStreamObserver<T> {
  private final ServerCallStreamObserver<T> delegate;
  private final Consumer<T> onSend;
  private final Runnable onClose;

  ForwardingResponses(ServerCallStreamObserver<T> delegate, Consumer<T> onSend, Runnable onClose) {
    this.delegate = delegate;
    this.onSend = onSend;
    this.onClose = onClose;
  }

  @Override
  public void onNext(T value) {
    onSend.accept(value);
    delegate.onNext(value);
  }

  @Override
  public void onError(Throwable t) {
    onClose.run();
    delegate.onError(t);
  }

  @Override
  public void onCompleted() {
    onClose.run();
    delegate.onCompleted();
  }

  @Override
  public boolean isCancelled() {
    return delegate.isCancelled();
  }

  @Override
  public void setOnCancelHandler(Runnable onCancelHandler) {
    delegate.setOnCancelHandler(() -> {
      onClose.run();
      onCancelHandler.run();
    });
  }

  @Override
  public void setCompression(String compression) {
    delegate.setCompression(compression);
  }

  @Override
  public boolean isReady() {
    return delegate.isReady();
  }

  @Override
  public void setOnReadyHandler(Runnable onReadyHandler) {
    delegate.setOnReadyHandler(onReadyHandler);
  }

  @Override
  public void disableAutoInboundFlowControl() {
    delegate.disableAutoInboundFlowControl();
  }

  @Override
  public void request(int count) {
    delegate.request(count);
  }

  @Override
  public void setMessageCompression(boolean enable) {
    delegate.setMessageCompression(enable);
  }

  @Override
  public void setOnCloseHandler(Runnable onCloseHandler) {
    delegate.setOnCloseHandler(onCloseHandler);
  }
}
