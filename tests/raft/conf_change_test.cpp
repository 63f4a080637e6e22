// Unit tests of the membership change encoding and of apply_conf_change.
#include <catch2/catch.hpp>

#include "raft/conf_change.hpp"

using namespace ha::raft;

TEST_CASE("conf change encoding round-trips every type, large ids and binary context", "[conf_change]") {
  for (ConfChangeType t : {ConfChangeType::kAddVoter, ConfChangeType::kAddLearner, ConfChangeType::kRemoveNode}) {
    ConfChange cc{t, 0x0102030405060708ULL, std::string("name\0url", 8)};
    auto back = decode_conf_change(encode_conf_change(cc));
    REQUIRE(back);
    CHECK(*back == cc);
  }
  ConfChange empty_ctx{ConfChangeType::kAddVoter, 7, ""};
  CHECK(decode_conf_change(encode_conf_change(empty_ctx)) == empty_ctx);
}

TEST_CASE("conf change decoding refuses malformed data", "[conf_change]") {
  std::string good = encode_conf_change(ConfChange{ConfChangeType::kAddLearner, 5, "x"});
  CHECK_FALSE(decode_conf_change(""));
  CHECK_FALSE(decode_conf_change(good.substr(0, 9)));  // truncated id
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  CHECK_FALSE(decode_conf_change(bad_magic));
  std::string bad_type = good;
  bad_type[1] = 9;
  CHECK_FALSE(decode_conf_change(bad_type));
  CHECK_FALSE(decode_conf_change(encode_conf_change(ConfChange{ConfChangeType::kAddVoter, kNone, ""})));
}

TEST_CASE("apply_conf_change adds, promotes and removes one server at a time", "[conf_change]") {
  ConfState cs{{1, 2, 3}, {}};
  CHECK(apply_conf_change(cs, {ConfChangeType::kAddLearner, 4, ""}));
  CHECK(cs == ConfState{{1, 2, 3}, {4}});
  CHECK_FALSE(apply_conf_change(cs, {ConfChangeType::kAddLearner, 4, ""}));  // already a learner
  CHECK_FALSE(apply_conf_change(cs, {ConfChangeType::kAddLearner, 2, ""}));  // no demotion
  CHECK(apply_conf_change(cs, {ConfChangeType::kAddVoter, 4, ""}));          // promote
  CHECK(cs == ConfState{{1, 2, 3, 4}, {}});
  CHECK_FALSE(apply_conf_change(cs, {ConfChangeType::kAddVoter, 4, ""}));
  CHECK(apply_conf_change(cs, {ConfChangeType::kRemoveNode, 2, ""}));
  CHECK(cs == ConfState{{1, 3, 4}, {}});
  CHECK_FALSE(apply_conf_change(cs, {ConfChangeType::kRemoveNode, 9, ""}));  // unknown
  ConfState one{{1}, {}};
  CHECK_FALSE(apply_conf_change(one, {ConfChangeType::kRemoveNode, 1, ""}));  // never the last voter
  CHECK(one == ConfState{{1}, {}});
}
