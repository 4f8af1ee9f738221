// SHA-256, HMAC-SHA256 against the published test vectors, and pseudonyms of key columns.
#include <doctest/doctest.h>

#include <tierkit/pseudonym.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/error.hpp"

using namespace tierkit;

namespace {

std::string hex(const sha256_digest& d, std::size_t bytes = 32) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

}  // namespace

TEST_CASE("SHA-256 gives the FIPS 180-4 example digests") {
  CHECK(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex(sha256(std::string(1000000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HMAC-SHA256 gives the RFC 4231 test vectors") {
  struct vector_case {
    std::string key, data, mac;
    std::size_t bytes = 32;
  };
  const std::vector<vector_case> cases = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b", 16},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const vector_case& c : cases) {
    CAPTURE(c.data);
    CHECK(hex(hmac_sha256(c.key, c.data), c.bytes) == c.mac);
  }
}

TEST_CASE("a pseudonym is the first 16 bytes of the id's HMAC, in hex, under a key of 16 bytes or more") {
  const std::string key = "0123456789abcdef0123456789abcdef";
  CHECK(pseudonym(key, "42") == hex(hmac_sha256(key, "42"), 16));
  CHECK(pseudonym(key, "42").size() == pseudonym_digits);
  CHECK(pseudonym(key, "42") != pseudonym(key, "042"));
  CHECK(pseudonym(key, "42") != pseudonym(std::string(key.rbegin(), key.rend()), "42"));
  CHECK_NOTHROW(pseudonym(std::string(16, 'k'), "42"));
  CHECK_THROWS_WITH_AS(pseudonym(std::string(15, 'k'), "42"),
                       doctest::Contains("the pseudonym key has 15 bytes; at least 16 are needed"),
                       invalid_input);
}

TEST_CASE("pseudonyms of a column: integers by their decimal text, texts by their bytes, nulls left") {
  const std::string key(32, 's');
  const std::vector<std::int64_t> ints = {42, -7, 42, 0};
  const std::uint8_t valid = 0b0111;
  const std::string p = pseudonyms(int64_column("id", ints.data(), ints.size(), &valid), key, 1);
  REQUIRE(p.size() == 4 * pseudonym_digits);
  CHECK(p.substr(0, 32) == pseudonym(key, "42"));
  CHECK(p.substr(32, 32) == pseudonym(key, "-7"));
  CHECK(p.substr(64, 32) == p.substr(0, 32));
  CHECK(p.substr(96, 32) == std::string(32, '0'));  // null
  const std::vector<std::string_view> texts = {"42", "客户-0042"};
  const std::string q = pseudonyms(string_column("id", texts.data(), texts.size()), key, 2);
  CHECK(q.substr(0, 32) == p.substr(0, 32));  // the text "42" and the integer 42 are one id
  CHECK(q.substr(32, 32) == pseudonym(key, "客户-0042"));
  // Many rows on several threads: distinct ids, distinct pseudonyms, as one thread gives.
  std::vector<std::int64_t> many(20000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<std::int64_t>(i * 7919);
  const std::string a = pseudonyms(int64_column("id", many.data(), many.size()), key, 1);
  const std::string b = pseudonyms(int64_column("id", many.data(), many.size()), key, 4);
  CHECK(a == b);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < many.size(); ++i) seen.insert(a.substr(i * 32, 32));
  CHECK(seen.size() == many.size());
  const std::vector<double> money = {1.5};
  CHECK_THROWS_AS(pseudonyms(float64_column("x", money.data(), 1), key), schema_error);
}
