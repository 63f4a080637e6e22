// ClientStream<Req, Resp>: one bidirectional gRPC stream driven from a single thread through its
// own completion queue — start, queued writes, one read always pending, waits with a timeout —
// and cancellable from any thread. The building block of LeaseKeeper and Watcher; internal
// (namespace client_detail, apart from the server's own stream types).
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_stream.h>

#include <chrono>
#include <deque>
#include <memory>
#include <utility>

#include "dcs/client/call_runner.hpp"

namespace ha::dcs::client_detail {

enum class StreamEvent {
  kTimeout,  // nothing happened before the given time
  kStarted,  // the stream is open (writes queued before now go out)
  kMessage,  // a message from the server was stored in *out
  kClosed,   // the stream is over; close() says why
};

template <class Req, class Resp>
class ClientStream {
 public:
  using Stream = grpc::ClientAsyncReaderWriter<Req, Resp>;

  // `prepare(ctx, cq)` is a stub's PrepareAsync<Method>. The stream asks the server to end it
  // when the member has no leader (etcd's "hasleader" metadata), so a cut-off member is left.
  template <class Prepare>
  explicit ClientStream(Prepare&& prepare) {
    ctx_.AddMetadata("hasleader", "true");
    stream_ = prepare(&ctx_, &cq_);
    stream_->StartCall(&start_tag_);
    start_pending_ = true;
  }

  ~ClientStream() { (void)close(); }
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Sends `request` after the ones before it.
  void write(Req request) {
    queue_.push_back(std::move(request));
    flush();
  }

  StreamEvent next(std::chrono::steady_clock::time_point until, Resp* out) {
    for (;;) {
      if (closed_) return StreamEvent::kClosed;
      void* tag = nullptr;
      bool ok = false;
      auto r = cq_.AsyncNext(&tag, &ok, to_system(until));
      if (r == grpc::CompletionQueue::TIMEOUT) return StreamEvent::kTimeout;
      if (r == grpc::CompletionQueue::SHUTDOWN) {
        closed_ = true;
        return StreamEvent::kClosed;
      }
      if (tag == &start_tag_) {
        start_pending_ = false;
        if (!ok) return broken(false);
        started_ = true;
        read();
        flush();
        return StreamEvent::kStarted;
      }
      if (tag == &read_tag_) {
        read_pending_ = false;
        // A failed read means the server ended the stream: its status is waiting for Finish.
        if (!ok) return broken(true);
        *out = std::move(incoming_);
        incoming_.Clear();
        read();
        return StreamEvent::kMessage;
      }
      if (tag == &write_tag_) {
        write_pending_ = false;
        if (!ok) return broken(false);
        flush();
        continue;
      }
      if (tag == &finish_tag_) finish_pending_ = false;
    }
  }

  // Ends the stream (cancelling it unless the server already ended it), waits for every
  // operation to complete and returns the stream's status. Idempotent.
  grpc::Status close() {
    if (done_) return status_;
    closed_ = true;
    if (!server_ended_) ctx_.TryCancel();
    stream_->Finish(&status_, &finish_tag_);
    finish_pending_ = true;
    while (start_pending_ || read_pending_ || write_pending_ || finish_pending_) {
      void* tag = nullptr;
      bool ok = false;
      if (!cq_.Next(&tag, &ok)) break;
      if (tag == &start_tag_) start_pending_ = false;
      if (tag == &read_tag_) read_pending_ = false;
      if (tag == &write_tag_) write_pending_ = false;
      if (tag == &finish_tag_) finish_pending_ = false;
    }
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
    done_ = true;
    return status_;
  }

  // Thread-safe: makes the owner's next() return kClosed soon.
  void cancel() { ctx_.TryCancel(); }

 private:
  StreamEvent broken(bool server_ended) {
    closed_ = true;
    server_ended_ = server_ended;
    return StreamEvent::kClosed;
  }

  void read() {
    stream_->Read(&incoming_, &read_tag_);
    read_pending_ = true;
  }

  void flush() {
    if (!started_ || closed_ || write_pending_ || queue_.empty()) return;
    outgoing_ = std::move(queue_.front());
    queue_.pop_front();
    stream_->Write(outgoing_, &write_tag_);
    write_pending_ = true;
  }

  grpc::CompletionQueue cq_;
  grpc::ClientContext ctx_;
  std::unique_ptr<Stream> stream_;
  // Operation tags: the addresses of these bytes.
  char start_tag_ = 0, read_tag_ = 0, write_tag_ = 0, finish_tag_ = 0;
  bool start_pending_ = false, read_pending_ = false, write_pending_ = false, finish_pending_ = false;
  bool started_ = false, closed_ = false, server_ended_ = false, done_ = false;
  Resp incoming_;
  Req outgoing_;
  std::deque<Req> queue_;
  grpc::Status status_;
};

}  // namespace ha::dcs::client_detail
