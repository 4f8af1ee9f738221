#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/serialization.hpp>
#include <tierkit/value_potential.hpp>

#include <cmath>

#include "helpers.hpp"

using namespace tierkit;

TEST_CASE("spend growth compares per-period spend of the window's two halves") {
  owned_batch b;
  // Window Jan..Apr 2024: halves Jan-Feb and Mar-Apr.
  b.customer = {1, 1, 1, 1, 2, 3, 4};
  b.day = {day_of(2024, 1, 5), day_of(2024, 2, 5), day_of(2024, 3, 5), day_of(2024, 4, 5),
           day_of(2024, 2, 9), day_of(2024, 3, 9), day_of(2024, 1, 9)};
  b.amount = {10, 10, 20, 20, 10, 5, 0};
  profile_config cfg;
  cfg.as_of = day_of(2024, 5, 1);
  const profile p = make_profile(b.view(), cfg);
  const std::vector<double> g = spend_growth(p);
  CHECK(g[0] == doctest::Approx(10.0 / 30.0));  // 10 a month, then 20
  CHECK(g[1] == -1.0);                          // counted from February: 10, then nothing
  CHECK(std::isnan(g[2]));                      // first seen in the second half: no baseline
  CHECK(g[3] == 0.0);                           // nothing, then nothing
  CHECK(metric_table::from_profile(p).has("spend_growth"));
}

TEST_CASE("a value x potential grid names each customer's cell") {
  metric_table t;
  t.add("monetary", {100, 100, 5, 5, 50, NAN});
  t.add("spend_growth", {0.5, -0.5, 0.5, -0.5, 0.0, 0.1});
  const value_potential_model m = value_potential_strategy().fit_vp(t);
  const score_table s = m.apply(t);
  const score_column& cell = s.column("vp_cell");
  auto name = [&](std::size_t i) { return cell.codes[i] < 0 ? std::string("-") : cell.labels[static_cast<std::size_t>(cell.codes[i])]; };
  CHECK(name(0) == "key");
  CHECK(name(1) == "maintain");
  CHECK(name(2) == "develop");
  CHECK(name(3) == "low");
  CHECK(name(5) == "-");
  CHECK(m.unscored_at_fit() == 1);
  const score_column& zh = s.column("vp_cell_zh");
  CHECK(zh.labels[static_cast<std::size_t>(zh.codes[0])] == "核心");
  CHECK(value_potential_model_from_bytes(to_bytes(m)) == m);
  const score_table sum = m.summary();
  CHECK(sum.column("customers").integers == std::vector<std::int64_t>{2, 1, 1, 1});
}

TEST_CASE("the 3 x 3 preset and grid checks") {
  value_potential_config c = value_potential_config::three_by_three();
  CHECK(c.cells.size() == 9);
  c.cells.pop_back();
  CHECK_THROWS_WITH_AS(value_potential_strategy{c}, doctest::Contains("3 x 3 = 9 cells but 8 cell names"),
                       invalid_input);
  CHECK_THROWS_AS(value_potential_config::preset("4x4"), invalid_input);
}
