#include "dcs/client/endpoint_set.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <cassert>
#include <climits>

#include "dcs/client/log.hpp"

namespace ha::dcs::client_detail {

namespace {

int millis(std::chrono::milliseconds d) {
  auto v = d.count();
  if (v < 1) return 1;
  if (v > INT_MAX) return INT_MAX;
  return static_cast<int>(v);
}

grpc::ChannelArguments channel_args(const ClientOptions& o) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, millis(o.reconnect_backoff_initial));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, millis(o.reconnect_backoff_max));
  // gRPC uses the minimum backoff as the timeout of one connection attempt.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, millis(o.connect_timeout));
  // A channel's connection is its own, so its state says what this client sees.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // The DCS is reached directly: an http_proxy in the environment must not intercept it.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  // Large range answers are fine (etcd's client allows them too).
  args.SetMaxReceiveMessageSize(INT_MAX);
  return args;
}

}  // namespace

std::vector<std::size_t> rotation_order(std::size_t count, std::size_t start) {
  std::vector<std::size_t> order;
  order.reserve(count);
  for (std::size_t k = 0; k < count; ++k) order.push_back((start + k) % count);
  return order;
}

EndpointSet::EndpointSet(const ClientOptions& options) : options_(options) {
  assert(!options_.endpoints.empty() && "a DCS client needs at least one endpoint");
  auto args = channel_args(options_);
  for (const auto& ep : options_.endpoints) {
    auto c = std::make_unique<EndpointConn>();
    c->endpoint = ep;
    c->name = ep.host_port();
    c->channel = grpc::CreateCustomChannel(c->name, grpc::InsecureChannelCredentials(), args);
    c->kv = etcdserverpb::KV::NewStub(c->channel);
    c->lease = etcdserverpb::Lease::NewStub(c->channel);
    c->watch = etcdserverpb::Watch::NewStub(c->channel);
    c->cluster = etcdserverpb::Cluster::NewStub(c->channel);
    c->maintenance = etcdserverpb::Maintenance::NewStub(c->channel);
    conns_.push_back(std::move(c));
  }
  watch_tags_.resize(conns_.size());
  watcher_ = std::thread([this] { watch_channels(); });
}

EndpointSet::~EndpointSet() {
  stopping_ = true;
  watcher_.join();
}

void EndpointSet::watch_channels() {
  // Short watches, so that the destructor waits at most this long.
  constexpr auto kWatch = std::chrono::milliseconds(200);
  std::vector<grpc_connectivity_state> last(conns_.size());
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    last[i] = conns_[i]->channel->GetState(true);
    conns_[i]->channel->NotifyOnStateChange(last[i], std::chrono::system_clock::now() + kWatch, &watch_cq_,
                                            &watch_tags_[i]);
  }
  std::size_t pending = conns_.size();
  while (pending > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!watch_cq_.Next(&tag, &ok)) break;
    const auto i = static_cast<std::size_t>(static_cast<char*>(tag) - watch_tags_.data());
    if (stopping_) {
      --pending;
      continue;
    }
    // Asking to connect keeps every channel connected (or reconnecting with backoff).
    auto state = conns_[i]->channel->GetState(true);
    if (state != last[i]) {
      log_debug("dcs-client", "channel to {}: state {} -> {}", conns_[i]->name, static_cast<int>(last[i]),
                static_cast<int>(state));
      last[i] = state;
    }
    conns_[i]->channel->NotifyOnStateChange(state, std::chrono::system_clock::now() + kWatch, &watch_cq_,
                                            &watch_tags_[i]);
  }
  watch_cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (watch_cq_.Next(&tag, &ok)) {
  }
}

std::optional<std::size_t> EndpointSet::index_of(const Endpoint& endpoint) const {
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i]->endpoint == endpoint) return i;
  }
  return std::nullopt;
}

std::vector<std::size_t> EndpointSet::attempt_order(bool write) const {
  if (write && options_.writes_to_leader_first) {
    if (auto l = leader()) return rotation_order(conns_.size(), *l);
  }
  return rotation_order(conns_.size(), preferred_.load() % conns_.size());
}

void EndpointSet::mark_good(std::size_t i) { preferred_.store(i); }

void EndpointSet::mark_bad(std::size_t i) {
  std::size_t expected = i;
  preferred_.compare_exchange_strong(expected, (i + 1) % conns_.size());
  std::lock_guard lock(mu_);
  if (leader_ == i) leader_.reset();
}

std::optional<std::size_t> EndpointSet::leader() const {
  std::lock_guard lock(mu_);
  return leader_;
}

void EndpointSet::set_leader(std::optional<std::size_t> index) {
  std::lock_guard lock(mu_);
  leader_ = index;
}

}  // namespace ha::dcs::client_detail
