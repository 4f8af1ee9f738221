// Internals: rows per chunk of a profile update, by the update's size and the numbering of
// its customer keys (sizes above 2^20 rows are out of reach of the other tests' data).
#include <doctest/doctest.h>

#include <cstdint>

#include "detail/chunk_rows.hpp"

using namespace tierkit::detail;

namespace {
constexpr std::int64_t p2(int k) { return std::int64_t{1} << k; }

key_dictionary numbered_by_key(std::int64_t keys) {
  key_dictionary d;
  d.number_by_key(1, keys);
  REQUIRE(d.by_key());
  return d;
}
}  // namespace

TEST_CASE("hashed keys keep the smallest chunk whatever the update's size") {
  key_dictionary hashed;
  hashed.insert(std::int64_t{42});
  CHECK(chunk_rows_for(1000, hashed) == p2(18));
  CHECK(chunk_rows_for(p2(30), hashed) == p2(18));
}

TEST_CASE("keys numbered by value: an eighth of the rows, to 2^20, further only with many customers") {
  const key_dictionary few = numbered_by_key(50'000);
  CHECK(chunk_rows_for(1'000'000, few) == p2(18));   // an eighth is below 2^18
  CHECK(chunk_rows_for(p2(22), few) == p2(19));      // an eighth, as a power of two
  CHECK(chunk_rows_for(p2(26), few) == p2(20));      // 50k customers: 2^20 is enough
  CHECK(chunk_rows_for(p2(30), few) == p2(20));

  const key_dictionary many = numbered_by_key(4'000'000);
  CHECK(chunk_rows_for(10'000'000, many) == p2(20));   // capped by the eighth
  CHECK(chunk_rows_for(100'000'000, many) == p2(23));  // two rows a customer and more
  CHECK(chunk_rows_for(p2(27), many) == p2(23));       // never above 2^23

  const key_dictionary some = numbered_by_key(600'000);  // doubles while under 1.2M rows
  CHECK(chunk_rows_for(p2(30), some) == p2(21));
  for (std::int64_t rows : {p2(18), p2(21) + 7, p2(25) - 1, p2(27), std::int64_t{3'000'000'000}}) {
    CAPTURE(rows);
    const std::int64_t c = chunk_rows_for(rows, many);
    CHECK(c >= p2(18));
    CHECK(c <= p2(23));
    CHECK((c == p2(18) || 8 * c <= rows));  // above the smallest, at most an eighth
    CHECK((c & (c - 1)) == 0);
  }
}

TEST_CASE("a direct table keeps at most 2^20 rows a chunk: its range may exceed its customers") {
  key_dictionary direct;
  direct.expect_int_range(1, 8'000'000, std::uint64_t{1} << 30);
  REQUIRE(direct.direct());
  CHECK(chunk_rows_for(p2(30), direct) == p2(20));
  CHECK(chunk_rows_for(1'000'000, direct) == p2(18));
}
