#include "dcs/watch_service.hpp"

#include "dcs/bidi_stream.hpp"

namespace ha::dcs {

namespace {

class WatchStream final : public BidiStream<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
 public:
  explicit WatchStream(DcsCore& core) : core_(core) {
    auto h = handle();
    auto id = id_;
    core_.run([&core = core_, h, id] {
      *id = core.hub().open_stream();
      // Drain later, not from inside the hub's own call that queued the responses.
      core.set_watch_notifier(*id, [&core, h, id] { core.run([&core, h, id] { drain(core, h, *id); }); });
    });
    begin();
  }

 private:
  using Handle = StreamHandle<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

  // Driver thread: moves the hub's queued responses to the stream.
  static void drain(DcsCore& core, const std::shared_ptr<Handle>& h, WatchHub::StreamId id) {
    for (auto& r : core.hub().take(id)) {
      std::int64_t rev = r.header().revision();
      core.fill_header(r.mutable_header());
      if (rev != 0) r.mutable_header()->set_revision(rev);
      if (!h->send(std::move(r))) break;
    }
  }

  void on_request(const etcdserverpb::WatchRequest& req) override {
    auto h = handle();
    auto id = id_;
    core_.run([&core = core_, h, id, req] {
      if (*id == 0) return;
      core.hub().handle(*id, req);
      drain(core, h, *id);
    });
  }

  void on_end() override {
    auto id = id_;
    core_.run([&core = core_, id] {
      if (*id == 0) return;
      core.clear_watch_notifier(*id);
      core.hub().close_stream(*id);
    });
  }

  DcsCore& core_;
  // Set on the driver thread; shared so that posted work never touches a deleted stream.
  std::shared_ptr<WatchHub::StreamId> id_ = std::make_shared<WatchHub::StreamId>(0);
};

}  // namespace

grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* WatchService::Watch(
    grpc::CallbackServerContext* /*ctx*/) {
  return new WatchStream(core_);
}

}  // namespace ha::dcs
