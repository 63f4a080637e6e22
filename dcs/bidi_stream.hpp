// BidiStream: a server-side bidirectional gRPC stream (callback API) with an outgoing queue, so
// that any thread may send responses or finish the call; writes go one at a time, in order.
// Other threads hold a StreamHandle, which stays safe to use after the call has ended.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace ha::dcs {

template <class Req, class Resp>
class BidiStream;

// What other threads keep of a stream: send() and finish() become no-ops once it has ended.
template <class Req, class Resp>
class StreamHandle {
 public:
  // Queues a response; false when the stream has ended or its queue overflowed (then the stream
  // is finished with RESOURCE_EXHAUSTED: a client that does not read must not grow our memory).
  bool send(Resp r) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (stream_ == nullptr || finishing_) return false;
    if (queue_.size() >= max_queue_) {
      finish_locked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "etcdserver: the client reads too slowly"));
      return false;
    }
    queue_.push_back(std::move(r));
    if (!writing_) start_write_locked();
    return true;
  }
  void finish(grpc::Status st) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    finish_locked(std::move(st));
  }
  bool alive() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return stream_ != nullptr && !finishing_;
  }

 private:
  friend class BidiStream<Req, Resp>;

  void start_write_locked() {
    writing_ = true;
    stream_->StartWrite(&queue_.front());
  }
  void finish_locked(grpc::Status st) {
    if (stream_ == nullptr || finishing_) return;
    finishing_ = true;
    if (writing_) {
      pending_finish_ = std::move(st);
      has_pending_finish_ = true;
    } else {
      stream_->Finish(std::move(st));
    }
  }
  // OnWriteDone.
  void write_done(bool ok) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (stream_ == nullptr) return;
    if (!ok) {
      if (!finishing_) {
        finishing_ = true;
        stream_->Finish(grpc::Status::CANCELLED);
      } else if (has_pending_finish_) {
        has_pending_finish_ = false;
        stream_->Finish(std::move(pending_finish_));
      }
      return;
    }
    if (has_pending_finish_) {
      has_pending_finish_ = false;
      stream_->Finish(std::move(pending_finish_));
      return;
    }
    if (!queue_.empty() && !finishing_) start_write_locked();
  }
  void detach() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    stream_ = nullptr;
    queue_.clear();
  }

  std::recursive_mutex mu_;
  BidiStream<Req, Resp>* stream_ = nullptr;
  std::deque<Resp> queue_;
  std::size_t max_queue_ = 10000;
  bool writing_ = false;
  bool finishing_ = false;
  bool has_pending_finish_ = false;
  grpc::Status pending_finish_;
};

template <class Req, class Resp>
class BidiStream : public grpc::ServerBidiReactor<Req, Resp> {
 public:
  using Handle = StreamHandle<Req, Resp>;

  BidiStream() : handle_(std::make_shared<Handle>()) { handle_->stream_ = this; }
  // Subclasses call this at the end of their constructor.
  void begin() { this->StartRead(&request_); }
  std::shared_ptr<Handle> handle() const { return handle_; }

 protected:
  // A request arrived (on a gRPC thread).
  virtual void on_request(const Req& req) = 0;
  // The call ended (client gone, cancelled or finished); release what refers to this stream.
  virtual void on_end() {}

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {
      handle_->finish(grpc::Status::OK);  // the client closed its side
      return;
    }
    on_request(request_);
    this->StartRead(&request_);
  }
  void OnWriteDone(bool ok) override { handle_->write_done(ok); }
  void OnCancel() override { handle_->finish(grpc::Status::CANCELLED); }
  void OnDone() override {
    handle_->detach();
    on_end();
    delete this;
  }

  Req request_;
  std::shared_ptr<Handle> handle_;
};

}  // namespace ha::dcs
