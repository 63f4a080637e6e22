// Small value types: LSNs, ISO 8601 times, addresses, and the human renderings used in
// reasons and errors.
#include <catch2/catch.hpp>

#include "agent/host_port.hpp"
#include "agent/iso_time.hpp"
#include "agent/lsn.hpp"
#include "agent/units.hpp"
#include "agent/yaml_json.hpp"

using namespace ha::agent;

TEST_CASE("lsn: PostgreSQL's X/Y text both ways, and distances") {
  CHECK(to_string(Lsn{0x3000060}) == "0/3000060");
  CHECK(to_string(Lsn{0x1A00000000ULL + 0xB}) == "1A/B");
  CHECK(parse_lsn("1a/b") == Lsn{0x1A0000000BULL});
  CHECK(parse_lsn("0/3000060") == Lsn{0x3000060});
  CHECK_FALSE(parse_lsn("3000060"));
  CHECK_FALSE(parse_lsn("0/"));
  CHECK_FALSE(parse_lsn("0/xyz"));
  CHECK_FALSE(parse_lsn("123456789/0"));
  CHECK(bytes_behind(Lsn{100}, Lsn{160}) == 60u);
  CHECK(bytes_behind(Lsn{160}, Lsn{100}) == 0u);
}

TEST_CASE("iso time: time zones are applied; none is refused") {
  const auto z = parse_iso_time("2026-05-01T10:00:00Z");
  REQUIRE(z);
  CHECK(parse_iso_time("2026-05-01T12:00:00+02:00") == z);
  CHECK(parse_iso_time("2026-05-01 09:30:00-0030") == z);
  CHECK(format_iso_time(*z) == "2026-05-01T10:00:00+00:00");
  CHECK(format_iso_time(*parse_iso_time("2026-05-01T10:00:00.250+00:00")) ==
        "2026-05-01T10:00:00.250+00:00");
  CHECK_FALSE(parse_iso_time("2026-05-01T10:00:00"));
  CHECK_FALSE(parse_iso_time("2026-02-30T10:00:00Z"));
  CHECK_FALSE(parse_iso_time("tomorrow"));
}

TEST_CASE("host:port, with host lists for PostgreSQL's listen and IPv6 in brackets") {
  HostPort hp;
  CHECK(parse_host_port("10.0.0.1:5432", false, hp).empty());
  CHECK(hp == HostPort{"10.0.0.1", 5432});
  CHECK(parse_host_port("127.0.0.1,10.0.0.1:5432", true, hp).empty());
  CHECK(hp.host == "127.0.0.1,10.0.0.1");
  CHECK(parse_host_port("[::1]:8008", false, hp).empty());
  CHECK(hp.to_string() == "[::1]:8008");
  CHECK(parse_host_port("a,b:1", false, hp) == "expected one host, got 'a,b'");
  CHECK(parse_host_port("::1:8008", false, hp) ==
        "an IPv6 address needs brackets, as in [::1]:5432; got '::1:8008'");
  CHECK(parse_host_port("host", false, hp) == "expected host:port, got 'host'");
  CHECK(parse_host_port(":80", false, hp) ==
        "missing host in ':80' (use 0.0.0.0 for every interface)");
  CHECK(HostPort{"0.0.0.0", 1}.is_wildcard());
  CHECK_FALSE(HostPort{"10.0.0.1", 1}.is_wildcard());
}

TEST_CASE("human renderings of durations and sizes") {
  CHECK(format_duration(Millis(2500)) == "2.5 s");
  CHECK(format_duration(Millis(250)) == "0.25 s");
  CHECK(format_duration(Millis(30000)) == "30 s");
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(96) == "96 B");
  CHECK(format_bytes(16 * 1024) == "16 kB");
  CHECK(format_bytes(1024 * 1024) == "1 MiB");
  CHECK(format_bytes(1536ULL * 1024 * 1024) == "1.5 GiB");
}

TEST_CASE("yaml to json: YAML 1.1 plain scalars typed, quoted ones kept as strings, lines kept") {
  const auto doc = yaml_to_json(
      "a: yes\nb: \"yes\"\nc: 5432\nd: '5432'\ne: 0.5\nf: ~\ng: 1e3\n"
      "h: [x, {i: off}]\n");
  REQUIRE(doc.error.empty());
  CHECK(doc.value["a"] == true);
  CHECK(doc.value["b"] == "yes");
  CHECK(doc.value["c"] == 5432);
  CHECK(doc.value["d"] == "5432");
  CHECK(doc.value["e"] == 0.5);
  CHECK(doc.value["f"].is_null());
  CHECK(doc.value["g"] == 1000.0);
  CHECK(doc.value["h"][1]["i"] == false);
  CHECK(doc.lines.at("h[1].i") == 8);
  CHECK(doc.lines.at("c") == 3);
  CHECK(yaml_to_json("a: 1\na: 2\n").error == "line 2: duplicate key 'a'");
  CHECK_FALSE(yaml_to_json("a: [1\n").error.empty());
}
