// The steady-clock deadline of a gRPC call (its client's deadline, bounded), so waits inside
// the server never outlive the call that asked for them.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>

namespace ha::dcs {

inline std::chrono::steady_clock::time_point call_deadline(const grpc::ServerContextBase& ctx,
                                                           std::chrono::milliseconds cap) {
  auto now_sys = std::chrono::system_clock::now();
  auto now = std::chrono::steady_clock::now();
  auto left = ctx.deadline() - now_sys;
  if (left > cap) left = cap;
  if (left < std::chrono::milliseconds(0)) left = std::chrono::milliseconds(0);
  return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

}  // namespace ha::dcs
