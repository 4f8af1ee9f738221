#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/segments.hpp>

using namespace tierkit;

TEST_CASE("first match wins, and unmatched cells get the catch-all") {
  const segment_table t({{"Top", "", 4, 5, 4, 5, 1, 5}, {"High R", "", 4, 5, 1, 5, 1, 5}}, "Rest");
  CHECK(t.match(5, 5, 1) == 0);
  CHECK(t.match(5, 1, 1) == 1);
  CHECK(t.match(1, 1, 1) == 2);
  const segment_check c = t.check(5, 5, 5);
  CHECK(c.grid_cells == 125);
  CHECK(c.cells_won == std::vector<std::int64_t>{20, 30});
  REQUIRE(c.overlaps.size() == 1);
  CHECK(c.overlaps[0].cells == 20);
  CHECK(c.uncovered.size() == 75);
  CHECK(c.never_match.empty());
}

TEST_CASE("the R package's table has three rules that can never match") {
  const segment_check c = segment_table::r_rfm().check(5, 5, 5);
  // New Customers and Promising sit inside Potential Loyalist, Can't Lose Them inside At
  // Risk: R's own plots show them with no customers.
  std::vector<std::string> never;
  for (std::size_t i : c.never_match) never.push_back(segment_table::r_rfm().rules()[i].name);
  CHECK(never == std::vector<std::string>{"New Customers", "Promising", "Can't Lose Them"});
  CHECK(!c.uncovered.empty());
}

TEST_CASE("tierkit's eleven English segments cover the grid once each") {
  const segment_table t = segment_table::english();
  CHECK(t.rules().size() == 11);
  const segment_check c = t.check(5, 5, 5);
  CHECK(c.uncovered.empty());
  CHECK(c.overlaps.empty());
  CHECK(c.never_match.empty());
  CHECK(t.rules()[t.match(5, 5, 1)].name == "Champions");
  CHECK(t.rules()[t.match(1, 1, 5)].name == "Lost");
  CHECK(t.rules()[t.match(2, 2, 3)].label_zh == "休眠客户");
}

TEST_CASE("PyMC-Marketing's default config covers 46 of 64 quartile codes") {
  const segment_check c = segment_table::pymc_marketing().check(4, 4, 4);
  CHECK(c.uncovered == std::vector<int>{121, 131, 141, 142, 213, 221, 231, 241, 242, 321, 331,
                                        341, 342, 421, 431, 432, 441, 442});
  CHECK(c.overlaps.empty());
}

TEST_CASE("the Chinese eight classes cover the two-bin grid") {
  const segment_table t = segment_table::chinese_eight();
  const segment_check c = t.check(2, 2, 2);
  CHECK(c.uncovered.empty());
  CHECK(c.overlaps.empty());
  CHECK(t.rules()[t.match(2, 1, 2)].label_zh == "重要发展客户");
  CHECK(t.rules()[t.match(1, 2, 2)].label_zh == "重要保持客户");
}

TEST_CASE("bad rules are rejected with their position and name") {
  CHECK_THROWS_WITH_AS(segment_table({{"A", "", 1, 5, 1, 5, 1, 5}, {"B", "", 3, 2, 1, 5, 1, 5}}),
                       doctest::Contains("rule 2 ('B'): the recency range [3, 2]"), invalid_input);
  CHECK_THROWS_AS(segment_table({{"", "", 1, 1, 1, 1, 1, 1}}), invalid_input);
}
