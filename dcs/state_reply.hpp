// reply_from_state: finishes a unary call from this member's state: once the state may be read
// (after ReadIndex for a linearizable read, at once otherwise), `fill` sets the response on the
// driver thread (or returns an error), then the header is set and the call finished.
#pragma once

#include <grpcpp/grpcpp.h>

#include "dcs/call_deadline.hpp"
#include "dcs/dcs_core.hpp"
#include "dcs/server_errors.hpp"

namespace ha::dcs {

template <class Resp, class Fill>
grpc::ServerUnaryReactor* reply_from_state(DcsCore& core, grpc::CallbackServerContext* ctx,
                                           bool linearizable, Resp* resp, Fill fill) {
  auto* reactor = ctx->DefaultReactor();
  core.read(linearizable, call_deadline(*ctx, core.options().request_timeout),
            [&core, reactor, resp, fill = std::move(fill)](ha::dcs::Status st) mutable {
              if (st.ok()) st = fill(*resp);
              if (!st.ok()) {
                core.complete([reactor, gst = to_grpc(st.error())] { reactor->Finish(gst); });
                return;
              }
              core.fill_header(resp->mutable_header());
              // Serialising and writing the reply happens on a completion thread.
              core.complete([reactor] { reactor->Finish(grpc::Status::OK); });
            });
  return reactor;
}

}  // namespace ha::dcs
