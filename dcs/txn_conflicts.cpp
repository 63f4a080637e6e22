#include "dcs/txn_conflicts.hpp"

#include <set>
#include <string>
#include <vector>

#include "dcs/key_range.hpp"

namespace ha::dcs {

namespace {

// What one op list may write on some path.
struct Writes {
  std::set<std::string> puts;
  std::vector<KeyRange> deletes;
};

bool deleted(const std::vector<KeyRange>& deletes, const std::string& key) {
  for (const auto& d : deletes)
    if (d.contains(key)) return true;
  return false;
}

// True when a and b (two sibling ops, or their subtrees) can both run and write the same key.
bool conflict(const Writes& a, const Writes& b) {
  for (const auto& k : a.puts)
    if (b.puts.count(k) != 0 || deleted(b.deletes, k)) return true;
  for (const auto& k : b.puts)
    if (deleted(a.deletes, k)) return true;
  return false;
}

void merge(Writes& into, const Writes& from) {
  into.puts.insert(from.puts.begin(), from.puts.end());
  into.deletes.insert(into.deletes.end(), from.deletes.begin(), from.deletes.end());
}

bool collect(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops, Writes& out);

// The writes of one op (for a nested txn: both branches, each checked on its own).
bool op_writes(const etcdserverpb::RequestOp& op, Writes& w) {
  switch (op.request_case()) {
    case etcdserverpb::RequestOp::kRequestPut: w.puts.insert(op.request_put().key()); return true;
    case etcdserverpb::RequestOp::kRequestDeleteRange:
      w.deletes.emplace_back(op.request_delete_range().key(),
                             op.request_delete_range().range_end());
      return true;
    case etcdserverpb::RequestOp::kRequestTxn: {
      Writes then_w, else_w;
      if (!collect(op.request_txn().success(), then_w)) return false;
      if (!collect(op.request_txn().failure(), else_w)) return false;
      merge(w, then_w);
      merge(w, else_w);
      return true;
    }
    default: return true;
  }
}

bool collect(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops, Writes& out) {
  std::vector<Writes> each(static_cast<std::size_t>(ops.size()));
  for (int i = 0; i < ops.size(); ++i)
    if (!op_writes(ops[i], each[static_cast<std::size_t>(i)])) return false;
  for (std::size_t i = 0; i < each.size(); ++i)
    for (std::size_t j = i + 1; j < each.size(); ++j)
      if (conflict(each[i], each[j])) return false;
  for (const auto& w : each) merge(out, w);
  return true;
}

}  // namespace

Status check_txn_conflicts(const etcdserverpb::TxnRequest& txn) {
  Writes then_w, else_w;
  if (!collect(txn.success(), then_w) || !collect(txn.failure(), else_w))
    return errors::duplicate_key();
  return {};
}

}  // namespace ha::dcs
