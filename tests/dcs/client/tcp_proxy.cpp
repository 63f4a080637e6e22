#include "tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace ha::test {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// Close with a reset, so the peer learns at once that the connection is gone.
void abort_fd(int fd) {
  if (fd < 0) return;
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool write_all(int fd, const char* data, ssize_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= w;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(dcs::Endpoint target) : target_(std::move(target)) {
  if (::pipe(wake_) != 0) throw std::runtime_error("pipe failed");
  self_ = dcs::Endpoint{"127.0.0.1", 0};
  if (!listen_now()) throw std::runtime_error("proxy cannot listen");
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  command('q');
  thread_.join();
  close_all();
  if (listener_ >= 0) ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

bool TcpProxy::listen_now() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto addr = loopback(self_.port);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return false;
  }
  self_.port = ntohs(addr.sin_port);
  listener_ = fd;
  return true;
}

void TcpProxy::close_all() {
  for (auto& p : pairs_) {
    abort_fd(p.down);
    abort_fd(p.up);
  }
  pairs_.clear();
}

void TcpProxy::command(char c) {
  const int before = acks_.load();
  if (::write(wake_[1], &c, 1) != 1) return;
  if (c == 'q') return;
  while (acks_.load() == before) std::this_thread::yield();
}

void TcpProxy::set_open(bool open) {
  std::lock_guard lock(mu_);
  command(open ? 'o' : 'c');
}

void TcpProxy::run() {
  char buf[65536];
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    if (listener_ >= 0) fds.push_back({listener_, POLLIN, 0});
    const std::size_t first_pair = fds.size();
    for (const auto& p : pairs_) {
      fds.push_back({p.down, POLLIN, 0});
      fds.push_back({p.up, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;

    if (fds[0].revents & POLLIN) {
      char c = 0;
      if (::read(wake_[0], &c, 1) == 1) {
        if (c == 'q') return;
        if (c == 'c') {
          cut_ += static_cast<int>(pairs_.size());
          close_all();
          if (listener_ >= 0) ::close(listener_);  // connects are refused while closed
          listener_ = -1;
        } else if (c == 'o' && listener_ < 0) {
          listen_now();
        }
        ++acks_;
        continue;  // the fd list changed
      }
    }
    std::vector<Pair> alive;
    if (listener_ >= 0 && (fds[1].revents & POLLIN)) {
      int down = ::accept(listener_, nullptr, nullptr);
      if (down >= 0) {
        int up = ::socket(AF_INET, SOCK_STREAM, 0);
        auto addr = loopback(target_.port);
        ::inet_pton(AF_INET, target_.host.c_str(), &addr.sin_addr);
        if (up >= 0 && ::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
          int one = 1;
          ::setsockopt(down, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          ::setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          alive.push_back({down, up});
        } else {
          abort_fd(down);
          if (up >= 0) ::close(up);
        }
      }
    }
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      const auto& d = fds[first_pair + 2 * i];
      const auto& u = fds[first_pair + 2 * i + 1];
      bool ok = true;
      if (d.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(pairs_[i].down, buf, sizeof buf, 0);
        ok = n > 0 && write_all(pairs_[i].up, buf, n);
      }
      if (ok && (u.revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::recv(pairs_[i].up, buf, sizeof buf, 0);
        ok = n > 0 && write_all(pairs_[i].down, buf, n);
      }
      if (ok) {
        alive.push_back(pairs_[i]);
      } else {
        abort_fd(pairs_[i].down);
        abort_fd(pairs_[i].up);
      }
    }
    pairs_ = std::move(alive);
  }
}

}  // namespace ha::test
