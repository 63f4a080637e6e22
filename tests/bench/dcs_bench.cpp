// dcs_bench: a load generator for etcd v3 API servers (hadcs or etcd) over gRPC. Modes:
//   put           put throughput and latency (p50/p99/max) at one or more client counts
//   failover      kill -9 the leader (PIDs given), time to the first acknowledged put; one round
//   wait-healthy  wait for an agreed leader, a put through it and every member caught up
//   status        print each endpoint's Maintenance.Status
//   fsync         the raw rate of 4 KiB write + fdatasync in a folder (the disk under the test)
// tests/bench/run_dcs_bench.sh drives it against hadcs and etcd clusters it starts itself.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/dcs_bench_failover.hpp"
#include "tests/bench/dcs_bench_load.hpp"
#include "tests/bench/dcs_bench_util.hpp"

namespace {

using namespace ha::bench;

struct PutArgs {
  std::string endpoints;
  std::string clients = "1,16,256";
  int clients_per_conn = 10;
  int conns = 0;
  double duration_s = 10;
  double warmup_s = 0.5;
  std::uint64_t total = 0;
  std::size_t value_bytes = 256;
  std::string target = "leader";
  int threads = 2;
  int timeout_ms = 5000;
  std::string format = "table";
  std::string key_prefix;
  std::string timeline;
  int timeline_ms = 100;
};

std::vector<int> parse_int_list(const std::string& csv) {
  std::vector<int> out;
  std::stringstream ss(csv);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      int v = std::stoi(item, &used);
      if (used != item.size() || v < 1) return {};
      out.push_back(v);
    } catch (const std::exception&) {
      return {};
    }
  }
  return out;
}

std::vector<std::string> endpoints_or_exit(const std::string& csv) {
  auto eps = parse_endpoints(csv);
  if (eps.empty()) {
    std::cerr << "dcs_bench: --endpoints must be a comma-separated list of host:port (got '" << csv
              << "')\n";
    std::exit(2);
  }
  return eps;
}

// The leader's endpoint, waiting up to `wait` for the members to agree on one.
std::string find_leader_endpoint(const std::vector<std::string>& eps, std::chrono::seconds wait) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const auto& e : eps) channels.push_back(make_channel(e));
  auto give_up = Clock::now() + wait;
  ClusterView v;
  do {
    v = view_cluster(channels, std::chrono::seconds(1), false);
    if (v.leader_index >= 0) return eps[static_cast<std::size_t>(v.leader_index)];
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (Clock::now() < give_up);
  throw std::runtime_error("no leader found: " + v.problem);
}

// Appends one row's timeline: a header, then "UTC-time acked max_ms" per bucket.
void write_timeline(const std::string& path, int clients, int bucket_ms, const LoadResult& r) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) {
    std::perror(("dcs_bench: cannot append to " + path).c_str());
    return;
  }
  std::fprintf(f, "# clients=%d bucket_ms=%d (UTC time of the bucket start, puts acked, max ms)\n",
               clients, bucket_ms);
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    auto t = r.window_start + std::chrono::milliseconds(static_cast<long>(i) * bucket_ms);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%H:%M:%S", &tm);
    std::fprintf(f, "%s.%03lld %6llu %9.3f\n", when, static_cast<long long>(ms % 1000),
                 static_cast<unsigned long long>(r.timeline[i].acked),
                 r.timeline[i].max_us / 1000.0);
  }
  std::fclose(f);
}

int run_put(const PutArgs& a) {
  auto eps = endpoints_or_exit(a.endpoints);
  auto counts = parse_int_list(a.clients);
  if (counts.empty()) {
    std::cerr << "dcs_bench: --clients must be a list of positive numbers, e.g. 1,16,256\n";
    return 2;
  }
  if (a.target != "leader" && a.target != "all") {
    std::cerr << "dcs_bench: --target must be 'leader' or 'all'\n";
    return 2;
  }
  if (a.format != "table" && a.format != "kv") {
    std::cerr << "dcs_bench: --format must be 'table' or 'kv'\n";
    return 2;
  }
  std::string run_tag = a.key_prefix;
  if (run_tag.empty()) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    run_tag = "dcs_bench/" + std::to_string(ms) + "/";
  }
  if (a.format == "table") {
    std::printf("%-7s %7s %5s %8s %6s %9s %8s %8s %8s %8s %6s\n", "target", "clients", "conns",
                "acked", "secs", "ops/s", "avg_ms", "p50_ms", "p99_ms", "max_ms", "errors");
  }
  for (int clients : counts) {
    LoadOptions o;
    o.targets = a.target == "all"
                    ? eps
                    : std::vector<std::string>{find_leader_endpoint(eps, std::chrono::seconds(10))};
    o.clients = clients;
    o.conns = a.conns > 0 ? a.conns : (clients + a.clients_per_conn - 1) / a.clients_per_conn;
    o.conns = std::max(o.conns, static_cast<int>(o.targets.size()));
    o.threads = a.threads;
    o.warmup_s = a.warmup_s;
    o.duration_s = a.duration_s;
    o.total = a.total;
    o.value_bytes = a.value_bytes;
    o.timeout = std::chrono::milliseconds(a.timeout_ms);
    o.key_prefix = run_tag + std::to_string(clients) + "/";
    if (!a.timeline.empty()) o.timeline_ms = a.timeline_ms;
    LoadResult r = run_put_load(o);
    if (!a.timeline.empty()) write_timeline(a.timeline, clients, a.timeline_ms, r);
    double rate = r.seconds > 0 ? static_cast<double>(r.acked) / r.seconds : 0;
    int conns = std::min(o.conns, clients);
    if (a.format == "table") {
      std::printf("%-7s %7d %5d %8llu %6.2f %9.0f %8.3f %8.3f %8.3f %8.3f %6llu\n",
                  a.target.c_str(), clients, conns, static_cast<unsigned long long>(r.acked),
                  r.seconds, rate, r.latency.avg_ms, r.latency.p50_ms, r.latency.p99_ms,
                  r.latency.max_ms, static_cast<unsigned long long>(r.errors));
    } else {
      std::printf(
          "point target=%s clients=%d conns=%d acked=%llu seconds=%.3f ops_per_s=%.1f avg_ms=%.3f "
          "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%llu\n",
          a.target.c_str(), clients, conns, static_cast<unsigned long long>(r.acked), r.seconds,
          rate, r.latency.avg_ms, r.latency.p50_ms, r.latency.p99_ms, r.latency.max_ms,
          static_cast<unsigned long long>(r.errors));
    }
    std::fflush(stdout);
    for (const auto& [kind, n] : r.error_kinds) {
      std::fprintf(stderr, "dcs_bench: %llu puts failed: %s\n", static_cast<unsigned long long>(n),
                   kind.c_str());
    }
  }
  return 0;
}

struct FailoverArgs {
  std::string endpoints;
  std::string pids;
  int retry_ms = 5;
  int attempt_timeout_ms = 200;
  int max_wait_ms = 30000;
  int jitter_ms = 100;
};

int run_failover_cmd(const FailoverArgs& a) {
  FailoverOptions o;
  o.endpoints = endpoints_or_exit(a.endpoints);
  auto pids = parse_int_list(a.pids);
  if (pids.size() != o.endpoints.size()) {
    std::cerr << "dcs_bench: --pids must list one PID per endpoint, in the same order\n";
    return 2;
  }
  for (int p : pids) o.pids.push_back(static_cast<pid_t>(p));
  o.retry = std::chrono::milliseconds(a.retry_ms);
  o.attempt_timeout = std::chrono::milliseconds(a.attempt_timeout_ms);
  o.max_wait = std::chrono::milliseconds(a.max_wait_ms);
  o.jitter = std::chrono::milliseconds(a.jitter_ms);
  FailoverResult r = run_failover(o);
  std::printf(
      "failover killed_index=%d killed_pid=%d ack_ms=%.1f leader_seen_ms=%.1f acked_by=%d "
      "attempts=%llu failed=%llu\n",
      r.killed_index, static_cast<int>(o.pids[static_cast<std::size_t>(r.killed_index)]), r.ack_ms,
      r.leader_seen_ms, r.acked_by, static_cast<unsigned long long>(r.attempts),
      static_cast<unsigned long long>(r.failed));
  std::fflush(stdout);
  for (const auto& [kind, n] : r.error_kinds) {
    std::fprintf(stderr, "dcs_bench: %llu attempts failed: %s\n",
                 static_cast<unsigned long long>(n), kind.c_str());
  }
  if (r.ack_ms < 0) {
    std::cerr << "dcs_bench: no put was acknowledged within " << a.max_wait_ms
              << " ms of the kill\n";
    return 1;
  }
  return 0;
}

int run_status(const std::string& csv) {
  auto eps = endpoints_or_exit(csv);
  std::printf("%-22s %-18s %-18s %6s %10s %10s\n", "endpoint", "member", "leader", "term", "commit",
              "applied");
  for (const auto& e : eps) {
    MemberStatus s = query_status(make_channel(e), std::chrono::seconds(2));
    if (!s.ok) {
      std::printf("%-22s error: %s\n", e.c_str(), s.error.c_str());
      continue;
    }
    std::printf(
        "%-22s %-18llx %-18llx %6llu %10llu %10llu\n", e.c_str(),
        static_cast<unsigned long long>(s.member_id), static_cast<unsigned long long>(s.leader),
        static_cast<unsigned long long>(s.raft_term), static_cast<unsigned long long>(s.raft_index),
        static_cast<unsigned long long>(s.applied_index));
  }
  return 0;
}

int run_fsync(const std::string& dir, double seconds) {
  std::string path = dir + "/dcs_bench_fsync.XXXXXX";
  std::vector<char> name(path.begin(), path.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) {
    std::perror(("dcs_bench: cannot create a file in " + dir).c_str());
    return 1;
  }
  ::unlink(name.data());
  std::vector<char> block(4096, 'y');
  std::vector<std::uint32_t> us;
  auto t0 = Clock::now();
  auto end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  off_t off = 0;
  while (Clock::now() < end) {
    auto s = Clock::now();
    if (::pwrite(fd, block.data(), block.size(), off) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("dcs_bench: write/fdatasync");
      ::close(fd);
      return 1;
    }
    off += static_cast<off_t>(block.size());
    us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - s).count()));
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(fd);
  LatencySummary l = summarize(us);
  std::printf("fsync syncs_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
              static_cast<double>(l.count) / secs, l.p50_ms, l.p99_ms, l.max_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "dcs_bench: put throughput/latency and leader failover of an etcd v3 API cluster (hadcs or "
      "etcd) over gRPC. Endpoints are host:port (http:// is accepted). Traffic goes only where "
      "--endpoints says."};
  app.require_subcommand(1);

  PutArgs pa;
  auto* put = app.add_subcommand("put", "Put throughput and latency, one row per client count");
  put->add_option("--endpoints", pa.endpoints, "Members' client endpoints, host:port,...")
      ->required();
  put->add_option("--clients", pa.clients, "Concurrent clients, a list (one row each)")
      ->capture_default_str();
  put->add_option("--clients-per-conn", pa.clients_per_conn,
                  "Clients sharing one gRPC connection when --conns is not given")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  put->add_option("--conns", pa.conns, "gRPC connections (0: clients / clients-per-conn)")
      ->capture_default_str();
  put->add_option("--duration", pa.duration_s, "Seconds measured per row")->capture_default_str();
  put->add_option("--warmup", pa.warmup_s, "Seconds of load before each row's measurement")
      ->capture_default_str();
  put->add_option("--total", pa.total, "Stop a row after this many puts (0: run --duration)")
      ->capture_default_str();
  put->add_option("--value-size", pa.value_bytes, "Value bytes")->capture_default_str();
  put->add_option("--target", pa.target,
                  "leader: send to the leader (found with Maintenance.Status); all: spread over "
                  "every endpoint")
      ->capture_default_str();
  put->add_option("--threads", pa.threads, "Completion-queue threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  put->add_option("--timeout-ms", pa.timeout_ms, "Deadline of each put")->capture_default_str();
  put->add_option("--format", pa.format, "table or kv (one 'point k=v ...' line per row)")
      ->capture_default_str();
  put->add_option("--key-prefix", pa.key_prefix, "Key prefix (default dcs_bench/<ms>/)");
  put->add_option("--timeline", pa.timeline,
                  "Append per-bucket puts and worst latency of each row to this file (UTC times, "
                  "to line up with server logs)");
  put->add_option("--timeline-ms", pa.timeline_ms, "Bucket length for --timeline")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  FailoverArgs fa;
  auto* fo = app.add_subcommand(
      "failover",
      "One round: kill -9 the leader, time the first acknowledged put on the survivors. The "
      "caller owns the processes (restart the killed one, then wait-healthy).");
  fo->add_option("--endpoints", fa.endpoints, "Members' client endpoints, host:port,...")
      ->required();
  fo->add_option("--pids", fa.pids, "Members' PIDs, in the order of --endpoints")->required();
  fo->add_option("--retry-ms", fa.retry_ms, "A new put to each survivor this often")
      ->capture_default_str();
  fo->add_option("--attempt-timeout-ms", fa.attempt_timeout_ms, "Deadline of each attempt")
      ->capture_default_str();
  fo->add_option("--max-wait-ms", fa.max_wait_ms, "Give up after this")->capture_default_str();
  fo->add_option("--jitter-ms", fa.jitter_ms, "Random pause (0..N ms) before the kill")
      ->capture_default_str();

  std::string hc_endpoints;
  int hc_timeout_s = 60;
  auto* hc = app.add_subcommand(
      "wait-healthy",
      "Wait for an agreed leader, a put through it and every member caught up; exit 1 on timeout");
  hc->add_option("--endpoints", hc_endpoints, "Members' client endpoints")->required();
  hc->add_option("--timeout", hc_timeout_s, "Seconds")->capture_default_str();

  std::string st_endpoints;
  auto* st = app.add_subcommand("status", "Print each endpoint's Maintenance.Status");
  st->add_option("--endpoints", st_endpoints, "Members' client endpoints")->required();

  std::string fs_dir = ".";
  double fs_seconds = 2;
  auto* fs = app.add_subcommand("fsync", "Rate of 4 KiB write + fdatasync in --dir");
  fs->add_option("--dir", fs_dir, "Folder on the disk to measure")->capture_default_str();
  fs->add_option("--seconds", fs_seconds, "How long")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  try {
    if (*put) return run_put(pa);
    if (*fo) return run_failover_cmd(fa);
    if (*hc) {
      HealthResult h =
          wait_healthy(endpoints_or_exit(hc_endpoints), std::chrono::seconds(hc_timeout_s));
      if (!h.healthy) {
        std::cerr << "dcs_bench: not healthy after " << hc_timeout_s << " s: " << h.problem << '\n';
        return 1;
      }
      std::printf("healthy leader_index=%d ms=%.0f\n", h.leader_index, h.ms);
      return 0;
    }
    if (*st) return run_status(st_endpoints);
    if (*fs) return run_fsync(fs_dir, fs_seconds);
  } catch (const std::exception& e) {
    std::cerr << "dcs_bench: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
