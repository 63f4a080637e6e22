// Files in a PostgreSQL data directory that the agent reads or writes directly: what the
// directory holds (missing, empty, a cluster of which major version), and writing a file there
// atomically with the owner and mode PostgreSQL expects (the directory's owner), even when the
// agent runs as root. No server processes are involved here.
#pragma once

#include <string>

#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

enum class DataDirState {
  kMissing,      // no such directory
  kEmpty,        // exists, nothing in it
  kInitialized,  // holds PG_VERSION and global/pg_control
  kOther,        // holds something else (a failed clone, someone's files): not ours to use
};

const char* to_string(DataDirState state);

DataDirState inspect_data_dir(const std::string& data_dir);

// The major version in <data_dir>/PG_VERSION (15 for "15").
PgResult<int> read_pg_version(const std::string& data_dir);

// Replaces <data_dir>/<name> atomically (temporary file + rename), owned by the data
// directory's owner, mode 0600 (0640 when the directory allows group access).
PgStatus write_data_file(const std::string& data_dir, const std::string& name,
                         const std::string& content);

// Creates (empty) or removes <data_dir>/<name>; removing a missing file is fine.
PgStatus set_data_file_present(const std::string& data_dir, const std::string& name, bool present);

bool data_file_exists(const std::string& data_dir, const std::string& name);

// Appends `line` to <data_dir>/postgresql.conf unless a line equal to it (ignoring surrounding
// blanks) is already there. Keeps the file's owner and mode.
PgStatus ensure_conf_line(const std::string& data_dir, const std::string& line);

// Creates `dir` (mode 0700) owned by the given user when it does not exist; parents must exist.
PgStatus make_private_dir(const std::string& dir, const std::string& owner);

}  // namespace ha::agent::pg
