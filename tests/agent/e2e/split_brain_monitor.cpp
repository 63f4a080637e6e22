#include "tests/agent/e2e/split_brain_monitor.hpp"

#include <sstream>

#include "tests/agent/e2e/pg_probe.hpp"

namespace ha::e2e {

using ha::agent::pg::PgConnection;

SplitBrainMonitor::SplitBrainMonitor(std::vector<Node> nodes, Ms interval)
    : nodes_(std::move(nodes)),
      interval_(interval),
      started_(Clock::now()),
      changes_(nodes_.size()),
      last_writable_(nodes_.size()) {
  thread_ = std::thread([this] { run(); });
}

SplitBrainMonitor::~SplitBrainMonitor() { stop(); }

void SplitBrainMonitor::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SplitBrainMonitor::run() {
  std::vector<std::optional<PgConnection>> conns(nodes_.size());
  const Ms timeout(250);
  while (!stop_) {
    const auto round_start = Clock::now();
    std::vector<Role> answers(nodes_.size(), Role::unknown);
    std::vector<Clock::time_point> when(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!conns[i] || !conns[i]->ok()) conns[i] = pg_connect(nodes_[i].port, timeout);
      if (conns[i]) {
        auto r = conns[i]->query("SELECT pg_is_in_recovery()");
        if (r.ok() && !r->rows.empty() && r->rows[0].at(0)) {
          answers[i] = *r->rows[0][0] == "t" ? Role::recovery : Role::writable;
        } else {
          conns[i].reset();
        }
      }
      when[i] = Clock::now();
    }
    {
      std::lock_guard lock(mu_);
      Violation v;
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        auto& ch = changes_[i];
        if (ch.empty() || ch.back().role != answers[i]) ch.push_back({when[i], answers[i]});
        if (answers[i] == Role::writable) {
          last_writable_[i] = when[i];
          v.writable.push_back(nodes_[i].name);
        }
      }
      if (v.writable.size() > 1) {
        v.at = round_start;
        violations_.push_back(v);
      }
    }
    ++rounds_;
    const auto next = round_start + interval_;
    while (!stop_ && Clock::now() < next) std::this_thread::sleep_for(Ms(5));
  }
}

std::vector<SplitBrainMonitor::Violation> SplitBrainMonitor::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

std::string SplitBrainMonitor::describe_violations() const {
  std::lock_guard lock(mu_);
  std::ostringstream s;
  for (const auto& v : violations_) {
    s << "at " << static_cast<long>(ms_between(started_, v.at)) << " ms two writable primaries:";
    for (const auto& n : v.writable) s << ' ' << n;
    s << '\n';
  }
  return s.str();
}

SplitBrainMonitor::Role SplitBrainMonitor::role(int node) const {
  std::lock_guard lock(mu_);
  const auto& ch = changes_.at(static_cast<std::size_t>(node));
  return ch.empty() ? Role::unknown : ch.back().role;
}

std::vector<SplitBrainMonitor::Change> SplitBrainMonitor::changes(int node) const {
  std::lock_guard lock(mu_);
  return changes_.at(static_cast<std::size_t>(node));
}

std::optional<Clock::time_point> SplitBrainMonitor::became_writable(int node,
                                                                    Clock::time_point since) const {
  std::lock_guard lock(mu_);
  for (const auto& c : changes_.at(static_cast<std::size_t>(node))) {
    if (c.at >= since && c.role == Role::writable) return c.at;
  }
  return std::nullopt;
}

std::optional<Clock::time_point> SplitBrainMonitor::last_writable(int node) const {
  std::lock_guard lock(mu_);
  return last_writable_.at(static_cast<std::size_t>(node));
}

void SplitBrainMonitor::wait_round(Ms timeout) const {
  const auto target = rounds_.load() + 2;
  const auto end = Clock::now() + timeout;
  while (rounds_.load() < target && Clock::now() < end) std::this_thread::sleep_for(Ms(10));
}

}  // namespace ha::e2e
