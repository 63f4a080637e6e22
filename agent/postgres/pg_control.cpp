#include "agent/postgres/pg_control.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/postgres/hba_conf.hpp"
#include "agent/postgres/os_user.hpp"
#include "agent/postgres/output_text.hpp"

namespace ha::agent::pg {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Room for a program to report its own timeout before ours kills it.
constexpr Millis kOuterGrace{10'000};
// How long a start after a crash waits for the dead postmaster's children to leave.
constexpr Millis kOrphanWait{10'000};

// English messages, so the few we look for can be recognised.
const std::vector<std::pair<std::string, std::string>> kCLocale = {{"LC_ALL", "C"}, {"LANG", "C"}};

std::string seconds_arg(Millis timeout) {
  return std::to_string(
      std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(timeout).count()));
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

std::string read_from(const std::string& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

const char* to_string(StopMode mode) {
  switch (mode) {
    case StopMode::kSmart: return "smart";
    case StopMode::kFast: return "fast";
    case StopMode::kImmediate: return "immediate";
  }
  return "fast";
}

PgControl::PgControl(PgControlOptions options, CommandRunner& runner)
    : options_(std::move(options)), runner_(runner) {
  if (!options_.data_dir.empty()) {
    std::error_code ec;
    const auto abs = fs::absolute(options_.data_dir, ec);
    if (!ec) options_.data_dir = abs.lexically_normal().string();
    while (options_.data_dir.size() > 1 && options_.data_dir.back() == '/') {
      options_.data_dir.pop_back();
    }
  }
}

std::string PgControl::program(const std::string& name) const {
  if (options_.bin_dir.empty()) return name;
  return (fs::path(options_.bin_dir) / name).string();
}

std::string PgControl::log_file() const {
  return options_.log_file.empty() ? options_.data_dir + "/postmaster.log" : options_.log_file;
}

PgStatus PgControl::check_programs(const std::vector<std::string>& names) const {
  if (options_.bin_dir.empty()) return {};  // PATH lookup happens at run time
  std::error_code ec;
  if (!fs::is_directory(options_.bin_dir, ec)) {
    return pg_error(PgErrorKind::kCommand,
                    fmt::format("PostgreSQL bin_dir {} does not exist or is not a directory "
                                "(check postgresql.bin_dir; Debian: /usr/lib/postgresql/<major>/"
                                "bin)",
                                options_.bin_dir));
  }
  for (const auto& name : names) {
    const std::string path = program(name);
    if (!is_executable_file(path)) {
      return pg_error(PgErrorKind::kCommand,
                      fmt::format("PostgreSQL program {} not found or not executable (check "
                                  "postgresql.bin_dir)",
                                  path));
    }
  }
  return {};
}

ProcessSpec PgControl::spec(const std::string& program_name, std::vector<std::string> args,
                            Millis timeout) const {
  ProcessSpec s;
  s.program = program(program_name);
  s.args = std::move(args);
  s.run_as = options_.run_as;
  s.cwd = "/";
  s.timeout = timeout;
  return s;
}

PgError PgControl::command_error(const std::string& what, const ProcessResult& result,
                                 const std::string& extra) const {
  if (!result.started) return pg_error(PgErrorKind::kCommand, result.start_error);
  const std::string said = summarize_output(result.err, result.out);
  std::string message = fmt::format("{} failed ({})", what, result.describe());
  if (!said.empty()) message += ": " + said;
  if (!extra.empty()) message += "; " + extra;
  return pg_error(result.timed_out ? PgErrorKind::kTimeout : PgErrorKind::kCommand,
                  std::move(message));
}

PgResult<ProcessResult> PgControl::run_program(
    const std::string& program_name, std::vector<std::string> args, Millis timeout,
    std::vector<std::pair<std::string, std::string>> env) {
  if (auto s = check_programs({program_name}); !s) return s.error();
  ProcessSpec s = spec(program_name, std::move(args), timeout);
  s.set_env = std::move(env);
  return runner_.run(s);
}

PgResult<int> PgControl::programs_major_version() {
  if (programs_major_) return *programs_major_;
  auto r = run_program("pg_ctl", {"--version"}, options_.command_timeout, kCLocale);
  if (!r) return r.error();
  if (!r->success()) return command_error("pg_ctl --version", *r);
  // "pg_ctl (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
  const auto pos = r->out.find(") ");
  if (pos == std::string::npos) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("cannot read the version in '{}'", summarize_output(r->out, "")));
  }
  int major = 0;
  const char* begin = r->out.data() + pos + 2;
  const auto [end, ec] = std::from_chars(begin, r->out.data() + r->out.size(), major);
  if (ec != std::errc() || major <= 0) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("cannot read the version in '{}'", summarize_output(r->out, "")));
  }
  programs_major_ = major;
  return major;
}

DataDirState PgControl::data_dir_state() const { return inspect_data_dir(options_.data_dir); }

PgStatus PgControl::require_not_running(const char* action) const {
  const auto st = status();
  if (st.state == PostmasterState::kRunning) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("cannot {} {}: PostgreSQL is running (pid {}); stop it first",
                                action, options_.data_dir, st.pid_file ? st.pid_file->pid : 0));
  }
  return {};
}

PgStatus PgControl::initdb(const InitdbOptions& o) {
  if (auto s = check_programs({"initdb"}); !s) return s;
  const auto state = data_dir_state();
  if (state != DataDirState::kMissing && state != DataDirState::kEmpty) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("cannot initdb in {}: the directory is not empty ({}); move it "
                                "aside or remove it first",
                                options_.data_dir, to_string(state)));
  }
  if (state == DataDirState::kMissing) {
    if (auto s = make_private_dir(options_.data_dir, options_.run_as); !s) return s;
  }

  std::vector<std::string> args = {"-D", options_.data_dir};
  if (!o.superuser.empty()) args.push_back("--username=" + o.superuser);
  if (!o.encoding.empty()) args.push_back("--encoding=" + o.encoding);
  if (!o.locale.empty()) args.push_back("--locale=" + o.locale);
  if (!o.auth_local.empty()) args.push_back("--auth-local=" + o.auth_local);
  if (!o.auth_host.empty()) args.push_back("--auth-host=" + o.auth_host);
  const bool extra_has_checksums =
      std::find_if(o.extra_args.begin(), o.extra_args.end(), [](const std::string& a) {
        return a == "--data-checksums" || a == "-k";
      }) != o.extra_args.end();
  if (o.data_checksums && !extra_has_checksums) args.push_back("--data-checksums");

  // The password reaches initdb in a file only its user can read, removed right after.
  std::string pwfile;
  if (!o.superuser_password.empty()) {
    char tmpl[] = "/tmp/haagent-initdb-pw-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) {
      return pg_error(PgErrorKind::kIo, fmt::format("cannot create a password file in /tmp: {}",
                                                    std::strerror(errno)));
    }
    pwfile = tmpl;
    const std::string content = o.superuser_password + "\n";
    bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    if (ok && !options_.run_as.empty() && ::geteuid() == 0) {
      auto user = lookup_os_user(options_.run_as);
      ok = user && ::fchown(fd, user->uid, user->gid) == 0;
    }
    ::close(fd);
    if (!ok) {
      ::unlink(pwfile.c_str());
      return pg_error(PgErrorKind::kIo, fmt::format("cannot write the password file {}", pwfile));
    }
    args.push_back("--pwfile=" + pwfile);
  }
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());

  ProcessSpec s = spec("initdb", std::move(args), o.timeout);
  const ProcessResult r = runner_.run(s);
  if (!pwfile.empty()) ::unlink(pwfile.c_str());
  if (!r.success()) return command_error(fmt::format("initdb -D {}", options_.data_dir), r);
  return {};
}

PgStatus PgControl::write_config(const ServerSettings& settings,
                                 const std::vector<std::string>& hba_lines) {
  if (data_dir_state() != DataDirState::kInitialized) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("cannot write the configuration: {} holds no database cluster "
                                "(initdb or clone first)",
                                options_.data_dir));
  }
  auto version = read_pg_version(options_.data_dir);
  if (!version) return version.error();
  if (*version < 12) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("{} holds PostgreSQL {}; the agent needs 12 or newer "
                                "(standby.signal and recovery settings in postgresql.conf)",
                                options_.data_dir, *version));
  }
  ServerSettings versioned = settings;
  if (versioned.major_version == 0) versioned.major_version = *version;
  auto conf = render_ha_conf(versioned);
  if (!conf) return conf.error();
  std::optional<std::string> hba;
  if (!hba_lines.empty()) {
    auto rendered = render_hba(hba_lines);
    if (!rendered) return rendered.error();
    hba = std::move(rendered).value();
  }
  if (auto s = write_data_file(options_.data_dir, kHaConfFile, *conf); !s) return s;
  if (auto s = ensure_conf_line(options_.data_dir, ha_conf_include_line()); !s) return s;
  if (hba) {
    if (auto s = write_data_file(options_.data_dir, "pg_hba.conf", *hba); !s) return s;
  }
  if (auto s = set_data_file_present(options_.data_dir, "recovery.signal", false); !s) return s;
  return set_data_file_present(options_.data_dir, "standby.signal", settings.standby.has_value());
}

// After a crash: waits for the dead postmaster's children to let go of its shared memory and
// removes lock files naming a pid that is no server. Used before start and before pg_rewind
// (whose single-user crash recovery refuses such files just as the server does).
PgStatus PgControl::clear_stale_lock_files(const PostmasterStatus& before, Millis wait) {
  if (before.state != PostmasterState::kCrashed || !before.pid_file) return {};
  // Children of a killed postmaster leave within moments; starting before that fails.
  const auto deadline = Clock::now() + std::min(wait, kOrphanWait);
  while (shared_memory_in_use(*before.pid_file) && Clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(20));
  }
  // PostgreSQL replaces lock files whose pid is gone, but not those whose pid still exists:
  // a dead postmaster not yet reaped by its parent (a zombie; pg_ctl leaves it to init) or
  // a pid reused by another program. Neither is a server, so the files are stale. Left alone
  // while the old children still hold the shared memory: PostgreSQL then refuses, rightly.
  // The same goes for the lock file of its (first) socket directory.
  const auto& dead = *before.pid_file;
  if (!shared_memory_in_use(dead) && ::kill(dead.pid, 0) == 0) {
    std::vector<std::string> stale = {options_.data_dir + "/postmaster.pid"};
    if (!dead.socket_dir.empty() && dead.port > 0) {
      const std::string socket_lock =
          fmt::format("{}/.s.PGSQL.{}.lock", dead.socket_dir, dead.port);
      std::ifstream in(socket_lock);
      std::string first_line;
      if (std::getline(in, first_line) && first_line == std::to_string(dead.pid)) {
        stale.push_back(socket_lock);
      }
    }
    for (const auto& path : stale) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return pg_error(PgErrorKind::kIo, fmt::format("cannot remove the stale lock file {}: {}",
                                                      path, std::strerror(errno)));
      }
    }
  }
  return {};
}

PgStatus PgControl::start(const StartOptions& o) {
  if (auto s = check_programs({"pg_ctl", "postgres"}); !s) return s;
  if (data_dir_state() != DataDirState::kInitialized) {
    return pg_error(
        PgErrorKind::kState,
        fmt::format("cannot start PostgreSQL: {} holds no database cluster", options_.data_dir));
  }
  const auto before = status();
  if (before.state == PostmasterState::kRunning) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("PostgreSQL in {} is already running (pid {})", options_.data_dir,
                                before.pid_file ? before.pid_file->pid : 0));
  }
  auto major = programs_major_version();
  if (!major) return major.error();
  auto data_major = read_pg_version(options_.data_dir);
  if (!data_major) return data_major.error();
  if (*major != *data_major) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("{} holds a PostgreSQL {} cluster but {} has PostgreSQL {} "
                                "programs (check postgresql.bin_dir)",
                                options_.data_dir, *data_major, options_.bin_dir, *major));
  }

  if (auto s = clear_stale_lock_files(before, o.timeout); !s) return s;

  const std::string log = log_file();
  const auto log_offset = file_size_or_zero(log);
  std::vector<std::string> args = {"start", "-D", options_.data_dir,     "-l", log,
                                   "-w",    "-t", seconds_arg(o.timeout)};
  if (o.port) {
    // pg_ctl hands -o to a shell: only a number goes in.
    args.push_back("-o");
    args.push_back(fmt::format("-p {}", *o.port));
  }
  auto r = run_program("pg_ctl", std::move(args), o.timeout + kOuterGrace, kCLocale);
  if (!r) return r.error();
  if (r->success()) return {};
  const std::string server_said = summarize_server_log(read_from(log, log_offset));
  const std::string extra = server_said.empty()
                                ? fmt::format("no server log in {}", log)
                                : fmt::format("server log ({}): {}", log, server_said);
  PgError e = command_error(fmt::format("pg_ctl start -D {}", options_.data_dir), *r, extra);
  if (contains(r->err, "did not start in time") || r->timed_out) {
    e.kind = PgErrorKind::kTimeout;
  }
  return e;
}

PgStatus PgControl::stop(StopMode mode, Millis timeout) {
  if (status().state != PostmasterState::kRunning) return {};
  auto r = run_program(
      "pg_ctl",
      {"stop", "-D", options_.data_dir, "-m", to_string(mode), "-w", "-t", seconds_arg(timeout)},
      timeout + kOuterGrace, kCLocale);
  if (!r) return r.error();
  if (r->success()) return {};
  if (status().state != PostmasterState::kRunning) return {};  // it went away meanwhile
  PgError e =
      command_error(fmt::format("pg_ctl stop -m {} -D {}", to_string(mode), options_.data_dir), *r);
  if (contains(r->err, "does not shut down") || r->timed_out) e.kind = PgErrorKind::kTimeout;
  return e;
}

PgStatus PgControl::restart(StopMode mode, const StartOptions& options) {
  if (auto s = stop(mode, options.timeout); !s) return s;
  return start(options);
}

PgStatus PgControl::reload() {
  if (status().state != PostmasterState::kRunning) {
    return pg_error(
        PgErrorKind::kState,
        fmt::format("cannot reload PostgreSQL in {}: it is not running", options_.data_dir));
  }
  auto r = run_program("pg_ctl", {"reload", "-D", options_.data_dir}, options_.command_timeout,
                       kCLocale);
  if (!r) return r.error();
  if (!r->success())
    return command_error(fmt::format("pg_ctl reload -D {}", options_.data_dir), *r);
  return {};
}

PgStatus PgControl::promote(Millis timeout) {
  if (status().state != PostmasterState::kRunning) {
    return pg_error(
        PgErrorKind::kState,
        fmt::format("cannot promote PostgreSQL in {}: it is not running", options_.data_dir));
  }
  auto r =
      run_program("pg_ctl", {"promote", "-D", options_.data_dir, "-w", "-t", seconds_arg(timeout)},
                  timeout + kOuterGrace, kCLocale);
  if (!r) return r.error();
  if (r->success()) return {};
  PgError e = command_error(fmt::format("pg_ctl promote -D {}", options_.data_dir), *r);
  if (contains(r->err, "not in standby mode")) e.kind = PgErrorKind::kState;
  if (contains(r->err, "did not promote in time") || r->timed_out) e.kind = PgErrorKind::kTimeout;
  return e;
}

PostmasterStatus PgControl::status() const { return probe_postmaster(options_.data_dir); }

PgResult<bool> PgControl::pg_ctl_status() {
  auto r = run_program("pg_ctl", {"status", "-D", options_.data_dir}, options_.command_timeout,
                       kCLocale);
  if (!r) return r.error();
  if (r->success()) return true;
  if (r->started && !r->timed_out && r->exit_code == 3) return false;
  return command_error(fmt::format("pg_ctl status -D {}", options_.data_dir), *r);
}

PgStatus PgControl::kill_postmaster(Millis wait) {
  const auto st = status();
  if (st.state != PostmasterState::kRunning || !st.pid_file) return {};
  const pid_t pid = st.pid_file->pid;
  if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
    return pg_error(PgErrorKind::kState, fmt::format("cannot kill the postmaster (pid {}): {}", pid,
                                                     std::strerror(errno)));
  }
  const auto deadline = Clock::now() + wait;
  while (status().state == PostmasterState::kRunning) {
    if (Clock::now() >= deadline) {
      return pg_error(PgErrorKind::kTimeout,
                      fmt::format("the postmaster (pid {}) is still there after SIGKILL", pid));
    }
    std::this_thread::sleep_for(Millis(10));
  }
  return {};
}

PgResult<ControlData> PgControl::controldata() {
  auto r = run_program("pg_controldata", {options_.data_dir}, options_.command_timeout, kCLocale);
  if (!r) return r.error();
  if (!r->success()) return command_error(fmt::format("pg_controldata {}", options_.data_dir), *r);
  return parse_controldata(r->out);
}

PgStatus PgControl::clone(const CloneOptions& o) {
  if (auto s = check_programs({"pg_basebackup"}); !s) return s;
  const auto state = data_dir_state();
  if (state != DataDirState::kMissing && state != DataDirState::kEmpty) {
    return pg_error(PgErrorKind::kState,
                    fmt::format("cannot clone into {}: the directory is not empty ({}); move it "
                                "aside or remove it first",
                                options_.data_dir, to_string(state)));
  }
  if (state == DataDirState::kMissing) {
    if (auto s = make_private_dir(options_.data_dir, options_.run_as); !s) return s;
  }
  std::vector<std::string> args = {
      "-D", options_.data_dir, "-X",           "stream", "--checkpoint=fast",
      "-d", o.source_conninfo, "--no-password"};
  if (!o.slot.empty()) {
    args.push_back("-S");
    args.push_back(o.slot);
    if (o.create_slot) args.push_back("-C");
  }
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  std::vector<std::pair<std::string, std::string>> env = kCLocale;
  if (!o.password.empty()) env.emplace_back("PGPASSWORD", o.password);
  auto r = run_program("pg_basebackup", std::move(args), o.timeout, std::move(env));
  if (!r) return r.error();
  if (!r->success()) {
    // pg_basebackup cleans up after its own errors, but not after being killed.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(options_.data_dir, ec)) {
      fs::remove_all(entry.path(), ec);
    }
    return command_error(fmt::format("pg_basebackup into {}", options_.data_dir), *r);
  }
  // The source's server log came along if it lives in the data directory; it is not ours.
  const std::string log = log_file();
  if (log.rfind(options_.data_dir + "/", 0) == 0) ::unlink(log.c_str());
  return {};
}

PgResult<RewindOutcome> PgControl::rewind(const RewindOptions& o) {
  if (auto s = check_programs({"pg_rewind", "postgres"}); !s) return s.error();
  if (auto s = require_not_running("rewind"); !s) return s.error();
  if (data_dir_state() != DataDirState::kInitialized) {
    return pg_error(
        PgErrorKind::kState,
        fmt::format("cannot rewind {}: it holds no database cluster", options_.data_dir));
  }
  if (auto s = clear_stale_lock_files(status(), o.timeout); !s) return s.error();
  // (pg_rewind has no --no-password; with stdin on /dev/null it cannot prompt anyway.)
  std::vector<std::string> args = {"-D", options_.data_dir, "--source-server=" + o.source_conninfo};
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  std::vector<std::pair<std::string, std::string>> env = kCLocale;
  if (!o.password.empty()) env.emplace_back("PGPASSWORD", o.password);
  // pg_rewind's own postgres --single (crash recovery of an unclean target) may write here.
  auto r = run_program("pg_rewind", std::move(args), o.timeout, std::move(env));
  if (!r) return r.error();
  if (!r->success()) return command_error(fmt::format("pg_rewind -D {}", options_.data_dir), *r);
  RewindOutcome out;
  out.output = summarize_output(r->err, r->out);
  out.rewound = !contains(r->err, "no rewind required") && !contains(r->out, "no rewind required");
  return out;
}

PgStatus PgControl::remove_data_dir() {
  if (auto s = require_not_running("remove"); !s) return s;
  const fs::path dir(options_.data_dir);
  const fs::path rel = dir.relative_path();
  if (!dir.is_absolute() || std::distance(rel.begin(), rel.end()) < 2) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("refusing to remove '{}': not a plausible data directory path",
                                options_.data_dir));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) {
    return pg_error(PgErrorKind::kIo,
                    fmt::format("cannot remove {}: {}", options_.data_dir, ec.message()));
  }
  return {};
}

PgResult<std::string> PgControl::move_data_dir_aside(const std::string& suffix) {
  if (auto s = require_not_running("move"); !s) return s.error();
  if (suffix.empty() || suffix.find('/') != std::string::npos) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("'{}' is not a usable suffix for a directory name", suffix));
  }
  const std::string target = options_.data_dir + "." + suffix;
  std::error_code ec;
  if (fs::exists(target, ec)) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot move {} aside: {} already exists",
                                                  options_.data_dir, target));
  }
  if (::rename(options_.data_dir.c_str(), target.c_str()) != 0) {
    return pg_error(PgErrorKind::kIo, fmt::format("cannot rename {} to {}: {}", options_.data_dir,
                                                  target, std::strerror(errno)));
  }
  return target;
}

}  // namespace ha::agent::pg
