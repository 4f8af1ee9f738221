// The limits of docs/limits.md that C++ reaches more directly than Python: at each limit the
// work is done, one beyond it is refused with a clear error (tests/python/test_limits.py has
// the rest, through the Python API).
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "detail/dense_index.hpp"
#include "detail/key_dictionary.hpp"
#include "helpers.hpp"

using namespace tierkit;

TEST_CASE("a column holds at most 2^32 - 2 distinct keys: the next one is refused, not wrapped") {
  std::size_t size = detail::max_distinct_keys - 1;
  CHECK(detail::take_dense_index(size) == 4294967293u);  // the last index there is
  CHECK(size == detail::max_distinct_keys);
  CHECK_THROWS_WITH_AS(detail::take_dense_index(size),
                       doctest::Contains("more than 4,294,967,294 distinct keys in one column"),
                       invalid_input);
  CHECK(size == detail::max_distinct_keys);  // nothing counted
  // A dictionary numbering a dense range by key holds 2^32 - 2 keys without a table.
  detail::key_dictionary d;
  d.number_by_key(0, 4294967293);
  REQUIRE(d.by_key());
  CHECK(d.size() == detail::max_distinct_keys);
  CHECK(d.insert(std::int64_t{4294967293}) == 4294967293u);
}

TEST_CASE("a schedule, a list of dates and a ledger hold at most 100,000 assessments") {
  const std::int32_t first = days_from_civil(1, 1, 1);
  // Monthly from 0001-01-01: the 100,000th date is 8334-04-01.
  const std::int32_t last = days_from_civil(8334, 4, 1);
  const std::vector<std::int32_t> dates = assessment_dates(assessment_frequency::month, first, last);
  CHECK(dates.size() == max_assessment_dates);
  CHECK(dates.back() == last);
  CHECK_THROWS_WITH_AS(assessment_dates(assessment_frequency::month, first, days_from_civil(8334, 5, 1)),
                       doctest::Contains("more than 100,000 assessment dates"), invalid_input);
  CHECK_NOTHROW(check_assessment_dates(dates, "tierkit.TierHistory"));
  std::vector<std::int32_t> more = dates;
  more.push_back(days_from_civil(8334, 5, 1));
  CHECK_THROWS_WITH_AS(check_assessment_dates(more, "tierkit.TierHistory"),
                       doctest::Contains("100,001 assessment dates; at most 100,000 are allowed"),
                       invalid_input);

  policy_version v;
  v.label = "v1";
  v.rules.tiers = {"Gold", "Bronze"};
  tier_ledger ledger(v);
  customer_keys none;
  assessment_input a;
  a.customers = &none;
  for (std::int32_t d : dates) {
    a.date = d;
    ledger.advance(a);
  }
  CHECK(ledger.assessment_dates().size() == max_assessment_dates);
  a.date = days_from_civil(8334, 5, 1);
  CHECK_THROWS_WITH_AS(ledger.advance(a), doctest::Contains("the ledger holds 100,000 assessments"),
                       invalid_input);
  CHECK(ledger.assessment_dates().size() == max_assessment_dates);
}

TEST_CASE("a ranking holds at most 32,767 tiers and upgrades wait at most 16 assessments") {
  transition_rules r;
  for (int i = 0; i < 32767; ++i) r.tiers.push_back("t" + std::to_string(i));
  CHECK_NOTHROW(r.validate("tierkit.TierHistory"));
  r.tiers.push_back("one more");
  CHECK_THROWS_WITH_AS(r.validate("tierkit.TierHistory"), doctest::Contains("more than 32,767 tiers"),
                       invalid_input);

  transition_rules u;
  u.tiers = {"Gold", "Bronze"};
  u.transitions = {{max_upgrade_after, 1, downgrade_target::raw}, {}};
  CHECK(max_upgrade_after == 16);
  CHECK_NOTHROW(u.validate("tierkit.TierHistory"));
  u.transitions[0].upgrade_after = 17;
  CHECK_THROWS_WITH_AS(u.validate("tierkit.TierHistory"),
                       doctest::Contains("upgrade_after must be between 1 and 16; got 17"), invalid_input);
}

TEST_CASE("amounts below 2^60 in magnitude are summed exactly; 2^60 is an invalid row") {
  owned_batch b;
  const double below = std::nextafter(std::ldexp(1.0, 60), 0.0);
  b.customer = {1, 1, 2};
  b.day = {day_of(2024, 1, 1), day_of(2024, 1, 2), day_of(2024, 1, 3)};
  b.amount = {below, -below, 1.0};
  const profile p = make_profile(b.view());
  CHECK(p.monetary[0] == 0.0);  // exact: (2^60 - 128) - (2^60 - 128)
  CHECK(p.gross_sales[0] == below);
  b.amount[1] = -std::ldexp(1.0, 60);
  CHECK_THROWS_WITH_AS(make_profile(b.view()), doctest::Contains("1 row is magnitude 2^60 or more"),
                       invalid_input);
  profile_config drop;
  drop.on_invalid = invalid_policy::drop;
  const profile q = make_profile(b.view(), drop);
  CHECK(q.report.rows_dropped == 1);
  CHECK(q.monetary[0] == below);
}

TEST_CASE("dates run from 0001-01-01 to 9999-12-31 (with valid_dates widened to them); a day beyond is an invalid row") {
  owned_batch b;
  b.customer = {1, 2};
  b.day = {days_from_civil(1, 1, 1), days_from_civil(9999, 12, 30)};
  b.amount = {5.0, 7.0};
  profile_config c;
  c.as_of = days_from_civil(9999, 12, 31);  // the last as_of there is
  c.valid_dates = {first_supported_day, last_supported_day};  // the widest there is
  const profile p = make_profile(b.view(), c);
  CHECK(p.first_purchase[0] == days_from_civil(1, 1, 1));
  CHECK(p.recency[1] == 1);
  b.day[0] = days_from_civil(1, 1, 1) - 1;
  CHECK_THROWS_WITH_AS(make_profile(b.view(), c),
                       doctest::Contains("1 row is dated before 0001-01-01 (the first of valid_dates)"),
                       invalid_input);
  c.valid_dates.first -= 1;
  CHECK_THROWS_WITH_AS(profile_state{c}, doctest::Contains("within the supported dates 0001-01-01 to 9999-12-31"),
                       invalid_input);
}
