#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/text_levels.hpp>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

using namespace tierkit;

TEST_CASE("text levels: ranks as given or after ASCII lower-casing; nulls and unknown rows have none") {
  const std::vector<std::string> levels = {"classic", "gold", "platinum", "diamond", "black"};
  const std::vector<std::string_view> rows = {"gold", "GOLD", "Diamond", "tin", "gold", "black", "classic", "Ärger"};
  const std::uint8_t valid[] = {0b11101111};  // row 4 null (its bytes are a level's: no matter)
  std::vector<double> ranks(rows.size(), -7);
  const std::int64_t unknown = rank_levels(string_column("card_level", rows.data(), rows.size(), valid), levels,
                                           ranks.data());
  CHECK(unknown == 2);  // "tin" and "Ärger" (not ASCII: left for the caller)
  CHECK(ranks[0] == 2);
  CHECK(ranks[1] == 2);
  CHECK(ranks[2] == 4);
  CHECK(std::isnan(ranks[3]));
  CHECK(std::isnan(ranks[4]));
  CHECK(ranks[5] == 5);
  CHECK(ranks[6] == 1);
  CHECK(std::isnan(ranks[7]));
}

TEST_CASE("text levels: many rows on all cores, utf8 offsets, and refusal of other types") {
  // Short levels (two of one length, one of exactly 24 bytes, near misses of it) and a
  // level longer than 64 bytes (the finder's last length slot).
  const std::vector<std::vector<std::string>> level_lists = {
      {"a", "bb", "cc", "exactly twenty-four byte"},
      {"a", "bb", "cc", "a much longer level name than sixty-four bytes, to hit the last slot"}};
  for (const std::vector<std::string>& levels : level_lists) {
    CAPTURE(levels.back());
    std::string chars;
    std::vector<std::int32_t> offsets = {0};
    std::vector<std::uint8_t> valid((200'000 + 7) / 8 + 1, 0);
    std::vector<double> want;
    for (std::size_t i = 0; i < 200'000; ++i) {
      // 4, 6, 7, 8: unknown (6, 7, 8: 24 bytes differing from the 24-byte level in its last,
      // first and middle word); 5: upper case
      const std::size_t k = (i * 7) % 9;
      static const char* other[] = {"zz", "BB", "exactly twenty-four bytx", "exactlx twenty-four byte",
                                    "exactly twenty_four byte"};
      const bool is_null = i % 1'000 == 999;
      chars += is_null ? std::string("junk") : k < 4 ? levels[k] : std::string(other[k - 4]);
      offsets.push_back(static_cast<std::int32_t>(chars.size()));
      if (!is_null) valid[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
      want.push_back(is_null || k == 4 || k >= 6 ? NAN : k == 5 ? 2.0 : static_cast<double>(k + 1));
    }
    column_view c;
    c.name = "level";
    c.type = data_type::utf8;
    c.length = 199'990;  // a slice: rows 10 .. 200,000, the last rows within 24 bytes of the end
    c.offset = 10;
    c.values = offsets.data();
    c.chars = chars.data();
    c.validity = valid.data();
    std::vector<double> ranks(static_cast<std::size_t>(c.length));
    std::int64_t unknown_want = 0;
    for (std::size_t i = 10; i < want.size(); ++i) {
      const std::size_t k = (i * 7) % 9;
      unknown_want += i % 1'000 != 999 && (k == 4 || k >= 6);
    }
    CHECK(rank_levels(c, levels, ranks.data()) == unknown_want);
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      const double w = want[i + 10];
      if (std::isnan(w) ? !std::isnan(ranks[i]) : ranks[i] != w) {
        FAIL("row " << i + 10);
      }
    }
    const std::vector<double> numbers = {1, 2};
    CHECK_THROWS_WITH_AS(rank_levels(float64_column("level", numbers.data(), 2), levels, ranks.data()),
                         doctest::Contains("is not text"), schema_error);
  }
}
