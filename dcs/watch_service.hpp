// WatchService: etcd's Watch gRPC service. Each stream is a WatchHub stream on this member:
// requests go to the hub on the driver thread; queued responses are written in order.
#pragma once

#include "dcs/dcs_core.hpp"
#include "proto/etcd/rpc.grpc.pb.h"

namespace ha::dcs {

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(DcsCore& core) : core_(core) {}

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* ctx) override;

 private:
  DcsCore& core_;
};

}  // namespace ha::dcs
