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
  const std::vector<std::string_view> rows = {"gold", "GOLD", "Diamond", "tin", "", "black", "classic", "Ärger"};
  const std::uint8_t valid[] = {0b11101111};  // row 4 null
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
  const std::vector<std::string> levels = {"a", "bb", "cc", "a much longer level name than sixty-four bytes, to hit the last slot"};
  std::string chars;
  std::vector<std::int32_t> offsets = {0};
  std::vector<double> want;
  for (std::size_t i = 0; i < 200'000; ++i) {
    const std::size_t k = (i * 7) % 5;  // 4: unknown
    chars += k < 4 ? levels[k] : std::string("zz");
    offsets.push_back(static_cast<std::int32_t>(chars.size()));
    want.push_back(k < 4 ? static_cast<double>(k + 1) : NAN);
  }
  column_view c;
  c.name = "level";
  c.type = data_type::utf8;
  c.length = static_cast<std::int64_t>(want.size());
  c.values = offsets.data();
  c.chars = chars.data();
  std::vector<double> ranks(want.size());
  CHECK(rank_levels(c, levels, ranks.data()) == 40'000);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]) ? !std::isnan(ranks[i]) : ranks[i] != want[i]) {
      FAIL("row " << i);
    }
  }
  const std::vector<double> numbers = {1, 2};
  CHECK_THROWS_WITH_AS(rank_levels(float64_column("level", numbers.data(), 2), levels, ranks.data()),
                       doctest::Contains("is not text"), schema_error);
}
