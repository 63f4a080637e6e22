#include "tests/chaos/register_model.hpp"

namespace ha::chaos {

std::optional<Value> register_step(Value state, const Op& op) {
  switch (op.kind) {
    case OpKind::kWrite:
      return op.value;
    case OpKind::kRead:
      if (state == op.result) return state;
      return std::nullopt;
    case OpKind::kCas:
      switch (op.outcome) {
        case Outcome::kOk:
          if (state == op.expected) return op.value;
          return std::nullopt;
        case Outcome::kFail:
          if (state != op.expected) return state;
          return std::nullopt;
        case Outcome::kUnknown:
          return state == op.expected ? op.value : state;
      }
      return std::nullopt;
    case OpKind::kAdd:
    case OpKind::kLock:
      return std::nullopt;
  }
  return std::nullopt;
}

bool register_relevant(const Op& op) {
  switch (op.kind) {
    case OpKind::kWrite: return op.outcome != Outcome::kFail;
    case OpKind::kRead: return op.outcome == Outcome::kOk;
    case OpKind::kCas: return true;
    case OpKind::kAdd:
    case OpKind::kLock: return false;
  }
  return false;
}

}  // namespace ha::chaos
