// Endpoint rotation: the order calls try endpoints in, and how successes, failures and a known
// leader change it. No I/O: channels connect lazily.
#include <catch2/catch.hpp>

#include "dcs/client/endpoint_set.hpp"

using ha::dcs::ClientOptions;
using ha::dcs::Endpoint;
using ha::dcs::client_detail::EndpointSet;
using ha::dcs::client_detail::rotation_order;
using V = std::vector<std::size_t>;

namespace {
ClientOptions three(bool leader_first) {
  ClientOptions o;
  o.endpoints = {Endpoint{"127.0.0.1", 1}, Endpoint{"127.0.0.1", 2}, Endpoint{"127.0.0.1", 3}};
  o.writes_to_leader_first = leader_first;
  return o;
}
}  // namespace

TEST_CASE("rotation starts anywhere and wraps around") {
  CHECK(rotation_order(3, 0) == V{0, 1, 2});
  CHECK(rotation_order(3, 2) == V{2, 0, 1});
  CHECK(rotation_order(1, 0) == V{0});
  CHECK(rotation_order(4, 5) == V{1, 2, 3, 0});
}

TEST_CASE("calls start at the endpoint that answered last and move past one that failed") {
  EndpointSet set(three(false));
  CHECK(set.attempt_order(false) == V{0, 1, 2});
  set.mark_bad(0);
  CHECK(set.attempt_order(false) == V{1, 2, 0});
  set.mark_bad(0);  // an old failure does not move the choice again
  CHECK(set.attempt_order(false) == V{1, 2, 0});
  set.mark_bad(1);
  set.mark_bad(2);
  CHECK(set.attempt_order(false) == V{0, 1, 2});
  set.mark_good(2);
  CHECK(set.attempt_order(true) == V{2, 0, 1});
  CHECK(set.at(1).name == "127.0.0.1:2");
  CHECK(set.index_of(Endpoint{"127.0.0.1", 3}) == std::optional<std::size_t>(2));
  CHECK_FALSE(set.index_of(Endpoint{"127.0.0.1", 4}));
}

TEST_CASE("writes go to the known leader first when asked, and forget it when it fails") {
  EndpointSet set(three(true));
  set.set_leader(1);
  CHECK(set.attempt_order(true) == V{1, 2, 0});
  CHECK(set.attempt_order(false) == V{0, 1, 2});  // reads stay where they were
  set.mark_bad(1);
  CHECK_FALSE(set.leader());
  CHECK(set.attempt_order(true) == V{0, 1, 2});

  EndpointSet plain(three(false));
  plain.set_leader(2);
  CHECK(plain.attempt_order(true) == V{0, 1, 2});  // not asked: leader ignored
}
