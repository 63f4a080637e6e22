#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

const char* to_string(PgErrorKind kind) {
  switch (kind) {
    case PgErrorKind::kCommand: return "command failed";
    case PgErrorKind::kTimeout: return "timeout";
    case PgErrorKind::kConnection: return "connection";
    case PgErrorKind::kQuery: return "query failed";
    case PgErrorKind::kState: return "wrong state";
    case PgErrorKind::kIo: return "i/o";
    case PgErrorKind::kInvalid: return "invalid";
  }
  return "unknown";
}

}  // namespace ha::agent::pg
