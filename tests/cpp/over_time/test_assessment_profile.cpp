// Assessment profiles from per-period states: the same numbers as profiling the window
// directly, plus every customer seen before it with zeros.
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cmath>
#include <random>

#include "../helpers.hpp"

using namespace tierkit;

namespace {

owned_batch history() {
  owned_batch b;
  std::mt19937 rng(7);
  const std::int32_t start = day_of(2023, 1, 1);
  for (int i = 0; i < 4000; ++i) {
    b.customer.push_back(static_cast<std::int64_t>(rng() % 300) * 7);
    b.day.push_back(start + static_cast<std::int32_t>(rng() % 540));
    b.amount.push_back((rng() % 10 == 0 ? -1.0 : 1.0) * static_cast<double>(rng() % 10000) / 100.0);
    b.order.push_back(static_cast<std::int64_t>(rng() % 2500));
  }
  return b;
}

profile_config window(std::int32_t from, std::int32_t to) {
  profile_config c;
  c.window_start = from;
  c.as_of = to;
  c.threads = 1;
  return c;
}

void same_column(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(((std::isnan(a[i]) && std::isnan(b[i])) || a[i] == b[i]));
  }
}

}  // namespace

TEST_CASE("an assessment profile equals the window's profile plus earlier customers at zero") {
  owned_batch b = history();
  const std::vector<std::int32_t> cuts{day_of(2023, 4, 1), day_of(2023, 7, 1), day_of(2023, 10, 1),
                                       day_of(2024, 1, 1), day_of(2024, 4, 1)};
  const period_rows split = split_by_period(b.view().time, time_zone{}, cuts, 1);
  REQUIRE(split.order.size() == b.customer.size());  // the rows are not in day order
  // Rows in period order, then one state per period.
  owned_batch sorted;
  for (std::int64_t r : split.order) {
    sorted.customer.push_back(b.customer[static_cast<std::size_t>(r)]);
    sorted.day.push_back(b.day[static_cast<std::size_t>(r)]);
    sorted.amount.push_back(b.amount[static_cast<std::size_t>(r)]);
    sorted.order.push_back(b.order[static_cast<std::size_t>(r)]);
  }
  std::vector<profile_state> states;
  const std::int32_t lowest = first_supported_day, highest = last_supported_day;
  for (std::size_t k = 0; k <= cuts.size(); ++k) {
    const std::int32_t lo = k == 0 ? lowest : cuts[k - 1];
    const std::int32_t hi = k == cuts.size() ? highest : cuts[k];
    states.emplace_back(window(lo, hi));
    states.back().update(sorted.slice(split.offsets[k], split.offsets[k + 1]));
    CHECK(states.back().rows_used() == split.offsets[k + 1] - split.offsets[k]);
  }
  // Assessment on 2024-01-01 with a 6-month window: periods 2 and 3; history: 0 and 1.
  const std::int32_t as_of = cuts[3], start = cuts[1];
  profile_state merged = states[2];
  merged.merge_window(states[3]);
  const profile w = merged.finish();
  CHECK(w.window_start == start);
  CHECK(w.as_of == as_of);
  customer_history before;
  before.add(states[1].finish());
  before.add(states[0].finish());
  const profile p = assessment_profile(w, before, as_of, start);

  const profile direct = make_profile(b.view(), window(start, as_of));
  profile_config all = window(lowest, as_of);
  const profile ever = make_profile(b.view(), all);
  REQUIRE(p.size() == ever.size());
  CHECK(p.customer.ints == ever.customer.ints);
  CHECK(p.first_purchase == ever.first_purchase);
  CHECK(p.last_purchase == ever.last_purchase);
  CHECK(p.recency == ever.recency);
  CHECK(p.tenure == ever.tenure);
  std::size_t j = 0, zeros = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (j < direct.size() && direct.customer.ints[j] == p.customer.ints[i]) {
      CHECK(p.frequency[i] == direct.frequency[j]);
      CHECK(p.monetary[i] == direct.monetary[j]);
      CHECK(p.returns[i] == direct.returns[j]);
      CHECK(p.purchase_days[i] == direct.purchase_days[j]);
      CHECK(p.previous_purchase[i] == direct.previous_purchase[j]);
      CHECK((p.series_offsets[i + 1] - p.series_offsets[i]) == (direct.series_offsets[j + 1] - direct.series_offsets[j]));
      ++j;
    } else {
      ++zeros;
      CHECK(p.frequency[i] == 0);
      CHECK(p.monetary[i] == 0.0);
      CHECK(p.transactions[i] == 0);
      CHECK(std::isnan(p.average_order_value[i]));
      CHECK(p.series_offsets[i + 1] == p.series_offsets[i]);
    }
  }
  CHECK(j == direct.size());
  CHECK(zeros > 0);
  same_column(std::vector<double>(p.series_net.begin(), p.series_net.end()), direct.series_net);
}

TEST_CASE("rows already in period order need no permutation; a null time lands in its period") {
  owned_batch b;
  for (int i = 0; i < 10000; ++i) {
    b.customer.push_back(i % 17);
    b.day.push_back(day_of(2024, 1, 1) + i / 50);
    b.amount.push_back(1.0);
  }
  const std::vector<std::int32_t> cuts{day_of(2024, 2, 1), day_of(2024, 3, 1)};
  const period_rows s = split_by_period(b.view().time, time_zone{}, cuts, 2);
  CHECK(s.order.empty());
  CHECK(s.offsets.front() == 0);
  CHECK(s.offsets.back() == 10000);
  CHECK(s.offsets[1] == 31 * 50);
  CHECK(s.offsets[2] == 60 * 50);
  CHECK_THROWS_AS(split_by_period(b.view().time, time_zone{}, {5, 5}), invalid_input);
}

TEST_CASE("the day span of a time column counts only valid rows within the given range") {
  owned_batch b;
  b.customer = {1, 2, 3, 4};
  b.day = {day_of(1, 1, 1), day_of(2024, 5, 1), day_of(2023, 2, 1), day_of(9999, 12, 31)};
  b.amount = {1.0, 1.0, 1.0, 1.0};
  const auto span = day_span(b.view().time, time_zone{}, day_range{}, 2);
  REQUIRE(span);
  CHECK(span->first == day_of(2023, 2, 1));  // the placeholder years place nothing
  CHECK(span->second == day_of(2024, 5, 1));
  const auto all = day_span(b.view().time, time_zone{}, day_range{first_supported_day, last_supported_day});
  REQUIRE(all);
  CHECK(all->first == day_of(1, 1, 1));
  CHECK(all->second == day_of(9999, 12, 31));
  CHECK_FALSE(day_span(b.view().time, time_zone{}, day_range{0, 10}));
}

TEST_CASE("states with overlapping or implicit windows do not merge as periods") {
  profile_state a(window(0, 10)), b(window(5, 20)), c;
  CHECK_THROWS_WITH_AS(a.merge_window(b), doctest::Contains("they overlap"), invalid_input);
  CHECK_THROWS_WITH_AS(a.merge_window(c), doctest::Contains("explicit windows"), invalid_input);
  const profile empty = a.finish(true);
  CHECK(empty.size() == 0);
  CHECK(empty.as_of == 10);
  CHECK_THROWS_AS(a.finish(), invalid_input);
}

TEST_CASE("an assessment with an empty window keeps every customer seen before") {
  customer_history h;
  owned_batch b;
  b.customer = {3, 1, 3};
  b.day = {10, 12, 20};
  b.amount = {5.0, -2.0, 1.0};
  h.add(make_profile(b.view()));
  profile_state none(window(30, 40));
  const profile p = assessment_profile(none.finish(true), h, 40, 30);
  CHECK(p.customer.ints == std::vector<std::int64_t>{1, 3});
  CHECK(p.first_purchase == std::vector<std::int32_t>{no_day, 10});  // customer 1: only a return
  CHECK(p.recency == std::vector<std::int32_t>{no_day, 20});
  CHECK(p.monetary == std::vector<double>{0.0, 0.0});
}
