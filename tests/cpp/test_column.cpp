#include <doctest/doctest.h>
#include <tierkit/column.hpp>

#include <vector>

using namespace tierkit;

TEST_CASE("a column view reads Arrow validity bitmaps with an offset") {
  const std::vector<std::int64_t> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::uint8_t bits[] = {0b10111101, 0b00000010};  // rows 1 and 6 null, row 9 valid
  column_view c = int64_column("x", v.data(), v.size(), bits);
  CHECK(c.null_count() == 3);  // rows 1, 6, 8
  CHECK_FALSE(c.is_valid(1));
  CHECK(c.is_valid(9));
  c.offset = 2;
  c.length = 8;
  CHECK_FALSE(c.is_valid(4));  // absolute row 6
  CHECK(c.null_count() == 2);
}

TEST_CASE("descriptions name the column and its type for messages") {
  const std::vector<std::int64_t> v = {1};
  CHECK(timestamp_column("t", v.data(), 1, time_unit::milli, true).describe() ==
        "column 't' (timestamp[ms, UTC])");
  CHECK(int64_column("id", v.data(), 1).describe() == "column 'id' (int64)");
  CHECK(is_string_like(data_type::utf8_view));
  CHECK_FALSE(is_string_like(data_type::dictionary));
  CHECK(is_temporal(data_type::date64));
}
