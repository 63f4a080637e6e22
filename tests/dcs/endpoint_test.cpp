// Endpoint URL parsing: the accepted forms and one case per error message.
#include "dcs/client/endpoint.hpp"

#include <catch2/catch.hpp>

using ha::dcs::Endpoint;
using ha::dcs::parse_endpoint;
using ha::dcs::parse_endpoint_list;

TEST_CASE("endpoints in the accepted forms") {
  Endpoint e;
  CHECK(parse_endpoint("http://10.0.0.1:2379", e).empty());
  CHECK(e == Endpoint{"10.0.0.1", 2379});
  CHECK(parse_endpoint("node-1.example.com:2380/", e).empty());
  CHECK(e == Endpoint{"node-1.example.com", 2380});
  CHECK(parse_endpoint("http://[::1]:2379", e).empty());
  CHECK(e == Endpoint{"::1", 2379});
  CHECK(e.url() == "http://[::1]:2379");
  CHECK(e.host_port() == "[::1]:2379");
  CHECK(parse_endpoint("localhost:65535", e).empty());
  CHECK(e.port == 65535);
  CHECK(e.url() == "http://localhost:65535");
}

TEST_CASE("unspecified addresses are recognised") {
  CHECK(Endpoint{"0.0.0.0", 1}.is_unspecified());
  CHECK(Endpoint{"::", 1}.is_unspecified());
  CHECK_FALSE(Endpoint{"127.0.0.1", 1}.is_unspecified());
}

TEST_CASE("each bad endpoint gets its message and leaves the output alone") {
  const Endpoint before{"keep", 1};
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "empty URL"},
      {"https://a:1", "'https://a:1': https is not supported yet; use http://"},
      {"ftp://a:1", "'ftp://a:1': unknown scheme 'ftp'"},
      {"http://a:1/v3", "'http://a:1/v3': a path is not allowed, only scheme://host:port"},
      {"a", "'a': missing ':port'"},
      {"[::1", "'[::1': missing ']' after IPv6 address"},
      {"[::1]", "'[::1]': missing ':port'"},
      {"[zz::1]:1", "'[zz::1]:1': bad IPv6 address"},
      {"::1:2379", "'::1:2379': write IPv6 addresses in brackets, e.g. [::1]:2379"},
      {"a b:1", "'a b:1': bad character in host name"},
      {":2379", "':2379': missing host"},
      {"a:0", "'a:0': port must be a number from 1 to 65535"},
      {"a:65536", "'a:65536': port must be a number from 1 to 65535"},
      {"a:12x", "'a:12x': port must be a number from 1 to 65535"},
      {"a:", "'a:': port must be a number from 1 to 65535"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    Endpoint e = before;
    CHECK(parse_endpoint(c.text, e) == c.error);
    CHECK(e == before);
  }
}

TEST_CASE("endpoint lists") {
  std::vector<Endpoint> list;
  CHECK(parse_endpoint_list("a:1, http://b:2 ,c:3", list).empty());
  CHECK(list == std::vector<Endpoint>{{"a", 1}, {"b", 2}, {"c", 3}});

  CHECK(parse_endpoint_list("  ", list) == "no endpoint given");
  CHECK(parse_endpoint_list("a:1,,b:2", list) == "empty entry in the list 'a:1,,b:2'");
  CHECK(parse_endpoint_list("a:1,", list) == "empty entry in the list 'a:1,'");
  CHECK(parse_endpoint_list("a:1,b", list) == "'b': missing ':port'");
  CHECK(list.size() == 3);  // untouched by the failures
}
