#include <doctest/doctest.h>
#include <tierkit/calendar.hpp>
#include <tierkit/error.hpp>

using namespace tierkit;

TEST_CASE("day numbers count from 1970-01-01 and round-trip through civil dates") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(days_from_civil(1997, 9, 30) == 10134);
  for (std::int32_t d = -800000; d <= 800000; d += 37) {
    const civil_date c = civil_from_days(d);
    REQUIRE(days_from_civil(c.year, c.month, c.day) == d);
  }
  CHECK(format_day(days_from_civil(2024, 2, 29)) == "2024-02-29");
}

TEST_CASE("periods start on Monday, the first of the month, quarter and year") {
  const std::int32_t wed = days_from_civil(2024, 5, 15);  // a Wednesday
  CHECK(period_start(period_kind::day, wed) == wed);
  CHECK(period_start(period_kind::week, wed) == days_from_civil(2024, 5, 13));
  CHECK(period_start(period_kind::week, days_from_civil(2024, 5, 13)) == days_from_civil(2024, 5, 13));
  CHECK(period_start(period_kind::week, days_from_civil(2024, 5, 19)) == days_from_civil(2024, 5, 13));
  CHECK(period_start(period_kind::week, -3) == -3);   // 1969-12-29 was a Monday
  CHECK(period_start(period_kind::week, -4) == -10);  // Sunday 1969-12-28: week of 12-22
  CHECK(period_start(period_kind::month, wed) == days_from_civil(2024, 5, 1));
  CHECK(period_start(period_kind::quarter, wed) == days_from_civil(2024, 4, 1));
  CHECK(period_start(period_kind::year, wed) == days_from_civil(2024, 1, 1));
  CHECK(next_period_start(period_kind::month, days_from_civil(2024, 12, 31)) ==
        days_from_civil(2025, 1, 1));
  CHECK(next_period_start(period_kind::quarter, wed) == days_from_civil(2024, 7, 1));
  CHECK(next_period_start(period_kind::week, wed) == days_from_civil(2024, 5, 20));
}

TEST_CASE("period names parse, and an unknown name is rejected with the choices") {
  CHECK(parse_period("quarter") == period_kind::quarter);
  CHECK_THROWS_WITH_AS(parse_period("fortnight"),
                       doctest::Contains("'day', 'week', 'month', 'quarter', 'year'"),
                       invalid_input);
}
