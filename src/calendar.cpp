#include "tierkit/calendar.hpp"

#include <cstdio>

#include "tierkit/error.hpp"

namespace tierkit {

// Civil-date conversions by eras of 400 years (146097 days), the standard proleptic
// Gregorian method; exact for every day in range.
std::int32_t days_from_civil(std::int32_t y, std::int32_t m, std::int32_t d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int32_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int32_t yoe = y - era * 400;                                   // [0, 399]
  const std::int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const std::int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

civil_date civil_from_days(std::int32_t z) noexcept {
  z += 719468;
  const std::int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int32_t doe = z - era * 146097;
  const std::int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int32_t y = yoe + era * 400;
  const std::int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int32_t mp = (5 * doy + 2) / 153;
  const std::int32_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int32_t m = mp + (mp < 10 ? 3 : -9);
  return civil_date{y + (m <= 2 ? 1 : 0), m, d};
}

std::string format_day(std::int32_t days) {
  const civil_date c = civil_from_days(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

const char* period_name(period_kind p) noexcept {
  switch (p) {
    case period_kind::day: return "day";
    case period_kind::week: return "week";
    case period_kind::month: return "month";
    case period_kind::quarter: return "quarter";
    case period_kind::year: return "year";
  }
  return "unknown";
}

period_kind parse_period(const std::string& name) {
  for (period_kind p : {period_kind::day, period_kind::week, period_kind::month,
                        period_kind::quarter, period_kind::year}) {
    if (name == period_name(p)) return p;
  }
  throw invalid_input("tierkit: period must be one of 'day', 'week', 'month', 'quarter', "
                      "'year'; got '" + name + "'");
}

std::int32_t period_start(period_kind p, std::int32_t days) noexcept {
  switch (p) {
    case period_kind::day:
      return days;
    case period_kind::week: {
      // 1970-01-01 was a Thursday; Monday-based weekday index is (days + 3) mod 7.
      const std::int32_t wd = ((days + 3) % 7 + 7) % 7;
      return days - wd;
    }
    case period_kind::month: {
      const civil_date c = civil_from_days(days);
      return days_from_civil(c.year, c.month, 1);
    }
    case period_kind::quarter: {
      const civil_date c = civil_from_days(days);
      return days_from_civil(c.year, (c.month - 1) / 3 * 3 + 1, 1);
    }
    case period_kind::year:
      return days_from_civil(civil_from_days(days).year, 1, 1);
  }
  return days;
}

std::int32_t next_period_start(period_kind p, std::int32_t days) noexcept {
  const std::int32_t s = period_start(p, days);
  switch (p) {
    case period_kind::day: return s + 1;
    case period_kind::week: return s + 7;
    case period_kind::month: {
      const civil_date c = civil_from_days(s);
      return c.month == 12 ? days_from_civil(c.year + 1, 1, 1)
                           : days_from_civil(c.year, c.month + 1, 1);
    }
    case period_kind::quarter: {
      const civil_date c = civil_from_days(s);
      return c.month == 10 ? days_from_civil(c.year + 1, 1, 1)
                           : days_from_civil(c.year, c.month + 3, 1);
    }
    case period_kind::year:
      return days_from_civil(civil_from_days(s).year + 1, 1, 1);
  }
  return s + 1;
}

}  // namespace tierkit
