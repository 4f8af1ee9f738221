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

TEST_CASE("parse_day reads ISO dates, with a time and an offset, as the day written") {
  CHECK(parse_day("2024-03-01") == 19783);
  CHECK(parse_day("2024-03-01T23:59:59") == 19783);
  CHECK(parse_day("2024-03-01 06:00+08:00") == 19783);   // the writer's day, not UTC's
  CHECK(parse_day("2024-02-29T23:30:15.25-05:00") == days_from_civil(2024, 2, 29));
  CHECK(parse_day("1900-01-01") == days_from_civil(1900, 1, 1));
  CHECK(parse_day("2200-12-31") == days_from_civil(2200, 12, 31));
  CHECK(day_range{}.first == days_from_civil(1900, 1, 1));
  CHECK(day_range{}.last == days_from_civil(2200, 12, 31));
  for (std::int32_t d = day_range{}.first; d <= day_range{}.last; d += 53) CHECK(parse_day(format_day(d)) == d);
}

TEST_CASE("parse_time gives the instant in UTC microseconds; text without an offset is UTC") {
  // reference values from Python's datetime
  CHECK(parse_time("2024-02-29T23:30:15.25-05:00") == 1709267415250000);
  CHECK(parse_time("2024-03-01T06:00+08:00") == 1709244000000000);
  CHECK(parse_time("2024-03-01T06:00+0800") == 1709244000000000);
  CHECK(parse_time("2024-03-01T06:00+08") == 1709244000000000);
  CHECK(parse_time("2024-02-29T22:00:00Z") == 1709244000000000);
  CHECK(parse_time("2024-02-29 22:00") == 1709244000000000);
  CHECK(parse_time("2024-03-01") == std::int64_t{19783} * 86'400'000'000);
  CHECK(parse_time("2024-03-01T00:00:00.1234567") == std::int64_t{19783} * 86'400'000'000 + 123456);
}

TEST_CASE("parse_day refuses malformed and implausible dates with the reason") {
  auto refused = [](const char* text, const char* reason) {
    CHECK_THROWS_WITH_AS(parse_day(text), doctest::Contains(reason), invalid_input);
  };
  refused("2024-13-01", "month 13 is not 1-12");
  refused("2023-02-29", "day 29 is not 1-28");
  refused("2024-04-31", "day 31 is not 1-30");
  refused("0000-01-01", "outside the accepted range 1900-01-01 to 2200-12-31");
  refused("9999-12-31", "outside the accepted range");
  refused("24-03-01", "no four-digit year");
  refused("2024/03/01", "no four-digit year followed by '-'");
  refused("2024-03-01x", "unexpected text after the date");
  refused("2024-03-01T25:00", "no hour 00-23");
  refused("2024-03-01T10:00:00.", "no digits after the decimal point");
  refused("2024-03-01T10:00Zjunk", "unexpected text after 'Z'");
  refused("2024-03-01T10:00+08:00:00", "unexpected text after the offset");
  refused("", "no four-digit year");
  CHECK(parse_day("0001-01-01", day_range{first_supported_day, last_supported_day}) == first_supported_day);
  CHECK_THROWS_WITH_AS(parse_day("2024-13-01"), doctest::Contains("'2024-13-01'"), invalid_input);
}
