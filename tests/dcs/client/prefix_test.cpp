// prefix_range_end: etcd's prefix convention, byte by byte.
#include "dcs/client/prefix.hpp"

#include <catch2/catch.hpp>

#include "dcs/client/kv_options.hpp"

using ha::dcs::prefix_range_end;

TEST_CASE("prefix_range_end increments the last byte") {
  CHECK(prefix_range_end("a") == "b");
  CHECK(prefix_range_end("/service/pg/") == "/service/pg0");
  CHECK(prefix_range_end(std::string("a\x00", 2)) == std::string("a\x01", 2));
  CHECK(prefix_range_end("\xfe") == "\xff");
}

TEST_CASE("prefix_range_end drops trailing 0xff bytes") {
  CHECK(prefix_range_end("a\xff") == "b");
  CHECK(prefix_range_end("ab\xff\xff") == "ac");
  CHECK(prefix_range_end("\x01\xff") == "\x02");
}

TEST_CASE("a prefix without an end selects every key from it on") {
  CHECK(prefix_range_end("\xff") == std::string(1, '\0'));
  CHECK(prefix_range_end("\xff\xff\xff") == std::string(1, '\0'));
  CHECK(prefix_range_end("") == std::string(1, '\0'));
}

TEST_CASE("get and delete options become the right range_end") {
  ha::dcs::GetOptions prefix;
  prefix.prefix = true;
  auto r = ha::dcs::make_range_request("k/", prefix);
  CHECK(r.key() == "k/");
  CHECK(r.range_end() == "k0");

  ha::dcs::GetOptions from;
  from.from_key = true;
  CHECK(ha::dcs::make_range_request("k", from).range_end() == std::string(1, '\0'));

  ha::dcs::GetOptions single;
  single.limit = 3;
  single.revision = 7;
  single.serializable = true;
  single.keys_only = true;
  single.count_only = true;
  auto s = ha::dcs::make_range_request("k", single);
  CHECK(s.range_end().empty());
  CHECK(s.limit() == 3);
  CHECK(s.revision() == 7);
  CHECK(s.serializable());
  CHECK(s.keys_only());
  CHECK(s.count_only());

  ha::dcs::DeleteOptions del;
  del.prefix = true;
  del.prev_kv = true;
  auto d = ha::dcs::make_delete_request("x", del);
  CHECK(d.range_end() == "y");
  CHECK(d.prev_kv());

  ha::dcs::PutOptions put;
  put.lease = 42;
  put.prev_kv = true;
  auto p = ha::dcs::make_put_request("k", "v", put);
  CHECK(p.lease() == 42);
  CHECK(p.prev_kv());
  CHECK(p.value() == "v");
}
