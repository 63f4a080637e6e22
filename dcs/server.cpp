#include "dcs/server.hpp"

#include <grpcpp/grpcpp.h>
#include <ha_version.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "dcs/client/log.hpp"
#include "dcs/cluster_service.hpp"
#include "dcs/dcs_core.hpp"
#include "dcs/http_endpoint.hpp"
#include "dcs/kv_service.hpp"
#include "dcs/lease_service.hpp"
#include "dcs/leader_ops.hpp"
#include "dcs/leader_router.hpp"
#include "dcs/member_id.hpp"
#include "dcs/raft_driver.hpp"
#include "dcs/watch_service.hpp"
#include "proto/dcs_peer.grpc.pb.h"
#include "raft/rocksdb_storage.hpp"

namespace ha::dcs {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLog = "hadcs";

std::vector<std::string> urls_of(const std::vector<Endpoint>& eps) {
  std::vector<std::string> out;
  for (const auto& e : eps) out.push_back(e.url());
  return out;
}

// The initial cluster grouped by member name (a member may list several peer URLs).
std::map<std::string, std::vector<std::string>> members_by_name(const std::vector<InitialMember>& list) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& m : list) out[m.name].push_back(m.peer_url.url());
  return out;
}

void write_file_durably(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << content;
    f.flush();
    if (!f) throw StartupError("cannot write " + tmp.string() + ": check the disk and the folder's permissions");
  }
  fs::rename(tmp, path);
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { stop(); }

void Server::resolve_identity() {
  std::error_code ec;
  fs::create_directories(options_.data_dir, ec);
  if (ec) {
    throw StartupError("cannot create the data directory " + options_.data_dir + ": " + ec.message() +
                       "; choose another --data-dir or fix its permissions");
  }
  fs::path idfile = fs::path(options_.data_dir) / "member.json";
  if (fs::exists(idfile)) {
    std::ifstream f(idfile);
    nlohmann::json j;
    try {
      f >> j;
      member_id_ = std::stoull(j.at("member_id").get<std::string>(), nullptr, 16);
      cluster_id_ = std::stoull(j.at("cluster_id").get<std::string>(), nullptr, 16);
      std::string name = j.at("name").get<std::string>();
      if (name != options_.name) {
        throw StartupError("the data directory " + options_.data_dir + " belongs to member '" + name +
                           "', not '" + options_.name + "'; start with --name " + name + " or another --data-dir");
      }
    } catch (const StartupError&) {
      throw;
    } catch (const std::exception& e) {
      throw StartupError(idfile.string() + " is damaged (" + e.what() +
                         "); restore it from a backup, or remove this member's data directory and re-add it");
    }
    log_info(kLog, "member {} ({:x}) of cluster {:x}, restarting from {}", options_.name, member_id_, cluster_id_,
             options_.data_dir);
    return;
  }

  if (options_.initial_cluster_state == ClusterState::kNew) {
    auto members = members_by_name(options_.initial_cluster);
    auto self = members.find(options_.name);
    if (self == members.end()) {
      throw StartupError("--name " + options_.name + " is not in --initial-cluster; add " + options_.name +
                         "=<its peer URL> to it");
    }
    std::set<std::string> listed(self->second.begin(), self->second.end());
    auto adv = urls_of(options_.initial_advertise_peer_urls);
    std::set<std::string> advertised(adv.begin(), adv.end());
    if (listed != advertised) {
      throw StartupError("--initial-cluster gives " + options_.name + " other peer URLs than " +
                         "--initial-advertise-peer-urls; make them the same");
    }
    std::vector<std::uint64_t> ids;
    for (const auto& [name, urls] : members) {
      std::uint64_t id = ha::dcs::member_id(MemberIdentity{name, urls}, options_.initial_cluster_token);
      ids.push_back(id);
      if (name == options_.name) member_id_ = id;
    }
    cluster_id_ = ha::dcs::cluster_id(ids, options_.initial_cluster_token);
    return;
  }

  // Joining a running cluster: ask the listed members which ID MemberAdd gave us.
  auto adv = urls_of(options_.initial_advertise_peer_urls);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last_error = "no other member listed in --initial-cluster";
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& m : options_.initial_cluster) {
      if (m.name == options_.name) continue;
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
      auto stub = dcspb::PeerForward::NewStub(
          grpc::CreateCustomChannel(m.peer_url.host_port(), grpc::InsecureChannelCredentials(), args));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      etcdserverpb::MemberListRequest req;
      etcdserverpb::MemberListResponse resp;
      grpc::Status st = stub->MemberList(&ctx, req, &resp);
      if (!st.ok()) {
        last_error = m.peer_url.url() + ": " + st.error_message();
        continue;
      }
      for (const auto& mem : resp.members()) {
        for (const auto& u : mem.peerurls()) {
          if (std::find(adv.begin(), adv.end(), u) != adv.end()) {
            member_id_ = mem.id();
            cluster_id_ = resp.header().cluster_id();
            log_info(kLog, "joining cluster {:x} as member {:x}", cluster_id_, member_id_);
            for (const auto& other : resp.members()) {
              Endpoint e;
              if (other.id() != member_id_ && other.peerurls_size() > 0 &&
                  parse_endpoint(other.peerurls(0), e).empty()) {
                join_peers_.emplace_back(other.id(), e.host_port());
              }
            }
            return;
          }
        }
      }
      throw StartupError("this member's peer URL is not in the cluster's member list; add it first with "
                         "`hactl dcs member add " + options_.name + " --peer-urls " + adv.front() +
                         "` (or etcdctl member add), then start it with --initial-cluster-state existing");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw StartupError("cannot reach any member of the running cluster to join it (" + last_error +
                     "); check --initial-cluster and that the other members run");
}

void Server::bootstrap_log_if_new() {
  raft::RocksDbStorage::OpenOptions oo;
  bool is_new = options_.initial_cluster_state == ClusterState::kNew;
  auto members = members_by_name(options_.initial_cluster);
  std::vector<dcspb::MemberRecord> records;
  if (is_new) {
    raft::ConfState cs;
    for (const auto& [name, urls] : members) {
      dcspb::MemberRecord r;
      r.set_id(ha::dcs::member_id(MemberIdentity{name, urls}, options_.initial_cluster_token));
      r.set_name(name);
      for (const auto& u : urls) r.add_peer_urls(u);
      cs.voters.push_back(r.id());
      records.push_back(std::move(r));
    }
    std::sort(cs.voters.begin(), cs.voters.end());
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.id() < b.id(); });
    oo.bootstrap = cs;
  }
  oo.log = [](const std::string& line) { log_warn("rocksdb", "{}", line); };
  storage_ = raft::RocksDbStorage::open((fs::path(options_.data_dir) / "raft").string(), oo);
  if (storage_->created() && is_new && storage_->last_index() == 0) {
    // Every founding member writes the same first entries: one membership record per member,
    // committed at term 1. So the member table is in the log, identical everywhere.
    std::vector<raft::Entry> entries;
    for (const auto& r : records) {
      raft::ConfChange cc;
      cc.type = raft::ConfChangeType::kAddVoter;
      cc.node = r.id();
      cc.context = r.SerializeAsString();
      raft::Entry e;
      e.term = 1;
      e.index = entries.size() + 1;
      e.type = raft::EntryType::kConfChange;
      e.data = raft::encode_conf_change(cc);
      entries.push_back(std::move(e));
    }
    raft::HardState hs{1, raft::kNone, entries.size()};
    storage_->save(&hs, entries, nullptr, true);
    log_info(kLog, "bootstrapped a new cluster {:x} of {} members", cluster_id_, records.size());
  }
  nlohmann::json j{{"name", options_.name},
                   {"member_id", fmt::format("{:x}", member_id_)},
                   {"cluster_id", fmt::format("{:x}", cluster_id_)}};
  fs::path idfile = fs::path(options_.data_dir) / "member.json";
  if (!fs::exists(idfile)) write_file_durably(idfile, j.dump(2) + "\n");
}

void Server::start() {
  resolve_identity();
  bootstrap_log_if_new();

  DcsCore::Options co;
  co.self = member_id_;
  co.cluster_id = cluster_id_;
  co.limits.max_request_bytes = options_.max_request_bytes;
  co.limits.max_value_bytes = options_.max_request_bytes;
  co.limits.min_lease_ttl = min_lease_ttl_for(options_.election_timeout.count());
  co.seed = member_id_;
  co.quota_bytes = options_.quota_backend_bytes;
  co.db_size = [this] { return storage_->bytes_on_disk(); };
  core_ = std::make_unique<DcsCore>(co);

  RaftDriverOptions ro;
  ro.id = member_id_;
  ro.heartbeat_interval = options_.heartbeat_interval;
  ro.election_timeout = options_.election_timeout;
  ro.snapshot_count = options_.snapshot_count;
  ro.async_leader_writes = options_.async_leader_writes;
  ro.seed = member_id_;
  PeerTransportOptions to;
  to.cluster_id = cluster_id_;
  driver_ = std::make_unique<RaftDriver>(ro, *storage_, *core_, to);
  core_->attach(driver_.get());

  // Peers: from the initial cluster now, then from the member table as membership changes.
  for (const auto& m : options_.initial_cluster) {
    std::uint64_t id = ha::dcs::member_id(MemberIdentity{m.name, members_by_name(options_.initial_cluster)[m.name]},
                                 options_.initial_cluster_token);
    if (options_.initial_cluster_state == ClusterState::kNew && id != member_id_) {
      driver_->set_peer(id, m.peer_url.host_port());
    }
  }
  for (const auto& [id, target] : join_peers_) driver_->set_peer(id, target);
  core_->set_peers_listener([this](const MemberTable& table) {
    std::set<std::uint64_t> present;
    for (const auto& m : table.all()) {
      present.insert(m.id());
      Endpoint e;
      if (m.id() != member_id_ && m.peer_urls_size() > 0 && parse_endpoint(m.peer_urls(0), e).empty()) {
        driver_->set_peer(m.id(), e.host_port());
      }
    }
    (void)present;
  });

  ops_ = std::make_unique<LeaderOps>(*core_);
  router_ = std::make_unique<LeaderRouter>(*core_, *ops_);
  kv_ = std::make_unique<KvService>(*core_);
  watch_ = std::make_unique<WatchService>(*core_);
  lease_ = std::make_unique<LeaseService>(*core_, *router_);
  cluster_ = std::make_unique<ClusterService>(*core_, *router_);
  MemberStatusSource src;
  src.version = std::string("3.5.0+hadcs.") + ha::kVersion;
  src.db_size = [this] { return static_cast<std::int64_t>(storage_->bytes_on_disk()); };
  maintenance_ = std::make_unique<MaintenanceService>(*core_, *router_, src);

  driver_->start();
  start_grpc();

  if (options_.metrics_listen) {
    http_ = std::make_unique<HttpEndpoint>([this] { return health(); }, [this] { return metrics_text(); });
    std::string err = http_->start(options_.metrics_listen->host, options_.metrics_listen->port);
    if (!err.empty()) throw StartupError(err);
  }
  publish_attributes();
  log_info(kLog, "member {} ({:x}) serving clients on {}", options_.name, member_id_,
           options_.listen_client_urls.front().url());
}

void Server::start_grpc() {
  grpc::ServerBuilder peer;
  for (const auto& e : options_.listen_peer_urls) peer.AddListeningPort(e.host_port(), grpc::InsecureServerCredentials());
  peer.RegisterService(&driver_->transport());
  peer.RegisterService(router_.get());
  peer.SetMaxReceiveMessageSize(-1);
  // gRPC sets SO_REUSEPORT by default, which lets a second process bind a port in use and
  // silently share its traffic: refuse that, so "address in use" is an error.
  peer.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  peer_server_ = peer.BuildAndStart();
  if (!peer_server_) {
    throw StartupError("cannot listen for peers on " + options_.listen_peer_urls.front().url() +
                       " (address in use, or not an address of this machine); choose another --listen-peer-urls");
  }
  grpc::ServerBuilder client;
  for (const auto& e : options_.listen_client_urls) client.AddListeningPort(e.host_port(), grpc::InsecureServerCredentials());
  client.RegisterService(kv_.get());
  client.RegisterService(watch_.get());
  client.RegisterService(lease_.get());
  client.RegisterService(cluster_.get());
  client.RegisterService(maintenance_.get());
  // Room for the request and its framing; the request checks give the precise error.
  client.SetMaxReceiveMessageSize(static_cast<int>(options_.max_request_bytes + (64 << 10)));
  client.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  client_server_ = client.BuildAndStart();
  if (!client_server_) {
    throw StartupError("cannot listen for clients on " + options_.listen_client_urls.front().url() +
                       " (address in use, or not an address of this machine); choose another --listen-client-urls");
  }
}

void Server::publish_attributes() {
  // Once there is a leader, record this member's name and client URLs in the member table
  // (retried every second until it is there and current).
  driver_->post_after(std::chrono::milliseconds(200), [this] {
    const dcspb::MemberRecord* me = core_->sm().members().find(member_id_);
    auto client_urls = urls_of(options_.advertise_client_urls);
    bool current = me != nullptr && me->name() == options_.name &&
                   std::vector<std::string>(me->client_urls().begin(), me->client_urls().end()) == client_urls;
    if (current) return;
    if (driver_->node().leader() != raft::kNone) {
      dcspb::InternalRequest req;
      auto* rec = req.mutable_member_attributes();
      rec->set_id(member_id_);
      rec->set_name(options_.name);
      for (const auto& u : client_urls) rec->add_client_urls(u);
      core_->write(req, DcsCore::Clock::now() + std::chrono::seconds(5), [](const ApplyResult&) {});
    }
    driver_->post_after(std::chrono::milliseconds(800), [this] { publish_attributes(); });
  });
}

HealthReport Server::health() {
  auto p = std::make_shared<std::promise<HealthReport>>();
  auto f = p->get_future();
  driver_->post([this, p] {
    raft::Status s = driver_->node().status();
    HealthReport h;
    if (s.soft_state.leader == raft::kNone) {
      h.reason = "RAFT NO LEADER";
    } else if (s.hard_state.commit > s.applied + 1000) {
      h.reason = "applying the log: " + std::to_string(s.hard_state.commit - s.applied) + " entries behind";
    } else {
      h.healthy = true;
    }
    p->set_value(h);
  });
  if (f.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return HealthReport{false, "member busy"};
  return f.get();
}

std::string Server::metrics_text() {
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  driver_->post([this, p] {
    const RaftMetrics& m = driver_->metrics();
    raft::Status s = driver_->node().status();
    std::string o;
    auto line = [&o](const char* name, const char* type, const char* help, auto value) {
      o += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
    };
    line("hadcs_raft_term", "gauge", "Current Raft term.", s.hard_state.term);
    line("hadcs_has_leader", "gauge", "1 when this member knows a leader.", s.soft_state.leader != raft::kNone ? 1 : 0);
    line("hadcs_is_leader", "gauge", "1 when this member leads.", s.soft_state.role == raft::Role::kLeader ? 1 : 0);
    line("hadcs_leader_changes_total", "counter", "Leader changes seen by this member.", m.leader_changes.load());
    line("hadcs_proposals_committed_total", "counter", "Entries applied.", m.proposals_committed.load());
    line("hadcs_proposals_failed_total", "counter", "Proposals the Raft core refused.", m.proposals_failed.load());
    line("hadcs_commit_index", "gauge", "Raft commit index.", s.hard_state.commit);
    line("hadcs_applied_index", "gauge", "Index applied to the state machine.", s.applied);
    line("hadcs_apply_lag", "gauge", "Committed entries not yet applied.", s.hard_state.commit - s.applied);
    line("hadcs_snapshots_total", "counter", "Snapshots taken.", m.snapshots_taken.load());
    line("hadcs_db_size_bytes", "gauge", "Size of the data directory's log store.", storage_->bytes_on_disk());
    line("hadcs_revision", "gauge", "Store revision.", core_->sm().revision());
    line("hadcs_watchers", "gauge", "Active watchers.", core_->hub().watcher_count());
    line("hadcs_watch_streams", "gauge", "Open watch streams.", core_->hub().stream_count());
    line("hadcs_leases", "gauge", "Leases in the store.", core_->sm().leases().leases_size());
    o += "# HELP hadcs_fsync_duration_seconds Latency of synced Raft log writes.\n";
    o += "# TYPE hadcs_fsync_duration_seconds histogram\n";
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < std::size(RaftMetrics::kFsyncBoundsUs); ++i) {
      cum += m.fsync_buckets[i].load();
      o += fmt::format("hadcs_fsync_duration_seconds_bucket{{le=\"{}\"}} {}\n", RaftMetrics::kFsyncBoundsUs[i] / 1e6, cum);
    }
    cum += m.fsync_buckets[std::size(RaftMetrics::kFsyncBoundsUs)].load();
    o += fmt::format("hadcs_fsync_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cum);
    o += fmt::format("hadcs_fsync_duration_seconds_sum {}\n", m.fsync_sum_us.load() / 1e6);
    o += fmt::format("hadcs_fsync_duration_seconds_count {}\n", m.fsync_count.load());
    p->set_value(std::move(o));
  });
  if (f.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return "# member busy\n";
  return f.get();
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stopped_; });
}

void Server::stop() {
  {
    // Only one thread stops the server; any other caller (main after wait(), the destructor)
    // waits until it is done, so that nothing is destroyed while it is still being stopped.
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      cv_.wait(lock, [this] { return stopped_; });
      return;
    }
    stopping_ = true;
  }
  if (http_) http_->stop();
  // In-flight client calls get a moment to finish; long-lived streams (watches, keep-alives,
  // peers' Raft streams) are then cancelled.
  auto now = std::chrono::system_clock::now();
  if (client_server_) client_server_->Shutdown(now + std::chrono::milliseconds(500));
  if (peer_server_) peer_server_->Shutdown(now + std::chrono::milliseconds(100));
  if (driver_) driver_->stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace ha::dcs
