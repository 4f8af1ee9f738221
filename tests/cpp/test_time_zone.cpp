#include <doctest/doctest.h>
#include <tierkit/calendar.hpp>
#include <tierkit/error.hpp>
#include <tierkit/time_zone.hpp>

using namespace tierkit;

TEST_CASE("UTC days floor instants, also before 1970") {
  const time_zone utc;
  CHECK(utc.is_utc());
  CHECK(utc.local_day(0) == 0);
  CHECK(utc.local_day(86399) == 0);
  CHECK(utc.local_day(-1) == -1);
}

TEST_CASE("a fixed offset moves late-evening UTC instants to the next local day") {
  const time_zone shanghai = time_zone::fixed("UTC+08:00", 8 * 3600);
  const std::int64_t t = std::int64_t{days_from_civil(2024, 1, 31)} * 86400 + 17 * 3600;  // 17:00 UTC
  CHECK(shanghai.local_day(t) == days_from_civil(2024, 2, 1));
  const time_zone newyork = time_zone::fixed("UTC-05:00", -5 * 3600);
  CHECK(newyork.local_day(std::int64_t{days_from_civil(2024, 2, 1)} * 86400 + 3 * 3600) ==
        days_from_civil(2024, 1, 31));
}

TEST_CASE("transitions switch the offset at the given UTC instant") {
  // A DST-like zone: +1h, then +2h from t = 1000 * 86400 on.
  const std::int64_t switch_at = 1000LL * 86400 - 5400;  // 22:30 UTC on day 999
  const time_zone z = time_zone::from_transitions("Test/Zone", 3600, {switch_at}, {7200});
  CHECK(z.offset_at(switch_at - 1) == 3600);
  CHECK(z.offset_at(switch_at) == 7200);
  CHECK(z.local_day(switch_at - 1) == 999);  // 22:29:59 UTC + 1h = 23:29:59 on day 999
  CHECK(z.local_day(switch_at) == 1000);     // 22:30 UTC + 2h = 00:30 on day 1000
}

TEST_CASE("bad zones are rejected") {
  CHECK_THROWS_AS(time_zone::fixed("x", 90000), invalid_input);
  CHECK_THROWS_AS(time_zone::from_transitions("x", 0, {5, 5}, {1, 2}), invalid_input);
  CHECK_THROWS_AS(time_zone::from_transitions("x", 0, {5}, {}), invalid_input);
}
