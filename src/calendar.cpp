#include "tierkit/calendar.hpp"

#include <cstdio>
#include <string>

#include "detail/enum_names.hpp"
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

namespace {

struct parsed_time {
  std::int32_t day;
  std::int64_t micros_of_day;   // local time of day
  std::int64_t offset_seconds;  // east of UTC
};

[[noreturn]] void bad_time(std::string_view text, const std::string& problem) {
  throw invalid_input("tierkit::parse_day: '" + std::string(text.substr(0, 64)) +
                      (text.size() > 64 ? "...'" : "'") + ": " + problem +
                      " (expected YYYY-MM-DD, optionally with a time HH:MM[:SS[.fraction]] and an "
                      "offset Z or +HH:MM)");
}

// `n` decimal digits at `at` (advanced), or -1 when they are not all digits.
std::int64_t digits(std::string_view s, std::size_t& at, std::size_t n) {
  if (at + n > s.size()) return -1;
  std::int64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[at + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  at += n;
  return v;
}

bool take(std::string_view s, std::size_t& at, char c) {
  if (at < s.size() && s[at] == c) {
    ++at;
    return true;
  }
  return false;
}

parsed_time parse_iso(std::string_view text, day_range range) {
  std::size_t at = 0;
  const std::int64_t y = digits(text, at, 4);
  if (y < 0 || !take(text, at, '-')) bad_time(text, "no four-digit year followed by '-'");
  const std::int64_t m = digits(text, at, 2);
  if (m < 0 || !take(text, at, '-')) bad_time(text, "no two-digit month followed by '-'");
  const std::int64_t d = digits(text, at, 2);
  if (d < 0) bad_time(text, "no two-digit day");
  if (m < 1 || m > 12) bad_time(text, "month " + std::to_string(m) + " is not 1-12");
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int last = m == 2 && !leap ? 28 : month_days[m - 1];
  if (d < 1 || d > last)
    bad_time(text, "day " + std::to_string(d) + " is not 1-" + std::to_string(last) + " in that month");
  parsed_time out{days_from_civil(static_cast<std::int32_t>(y), static_cast<std::int32_t>(m),
                                  static_cast<std::int32_t>(d)), 0, 0};
  if (out.day < range.first || out.day > range.last)
    bad_time(text, "the date is outside the accepted range " + format_day(range.first) + " to " +
                       format_day(range.last));
  if (at == text.size()) return out;
  if (!take(text, at, 'T') && !take(text, at, ' ')) bad_time(text, "unexpected text after the date");
  const std::int64_t hh = digits(text, at, 2);
  if (hh < 0 || hh > 23 || !take(text, at, ':')) bad_time(text, "no hour 00-23 followed by ':'");
  const std::int64_t mm = digits(text, at, 2);
  if (mm < 0 || mm > 59) bad_time(text, "no minute 00-59");
  std::int64_t ss = 0, micros = 0;
  if (take(text, at, ':')) {
    ss = digits(text, at, 2);
    if (ss < 0 || ss > 59) bad_time(text, "no second 00-59");
    if (take(text, at, '.') || take(text, at, ',')) {
      std::size_t n = 0;
      std::int64_t scale = 100'000;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (n < 6) micros += (text[at] - '0') * scale;   // below a microsecond: dropped
        scale /= 10;
        ++at;
        ++n;
      }
      if (n == 0) bad_time(text, "no digits after the decimal point of the seconds");
    }
  }
  out.micros_of_day = ((hh * 60 + mm) * 60 + ss) * 1'000'000 + micros;
  if (at == text.size() || take(text, at, 'Z')) {
    if (at != text.size()) bad_time(text, "unexpected text after 'Z'");
    return out;
  }
  const bool east = text[at] == '+';
  if (!east && text[at] != '-') bad_time(text, "unexpected text after the time");
  ++at;
  const std::int64_t oh = digits(text, at, 2);
  if (oh < 0 || oh > 18) bad_time(text, "no offset hour 00-18");
  std::int64_t om = 0;
  if (take(text, at, ':') || (at < text.size())) {
    om = digits(text, at, 2);
    if (om < 0 || om > 59) bad_time(text, "no offset minute 00-59");
  }
  if (at != text.size()) bad_time(text, "unexpected text after the offset");
  out.offset_seconds = (east ? 1 : -1) * (oh * 3600 + om * 60);
  return out;
}

}  // namespace

std::int32_t parse_day(std::string_view text, day_range range) { return parse_iso(text, range).day; }

std::int64_t parse_time(std::string_view text, day_range range) {
  const parsed_time t = parse_iso(text, range);
  return std::int64_t{t.day} * 86'400'000'000 + t.micros_of_day - t.offset_seconds * 1'000'000;
}

namespace {
constexpr detail::enum_table<period_kind, 5> periods{{{period_kind::day, "day"},
                                                      {period_kind::week, "week"},
                                                      {period_kind::month, "month"},
                                                      {period_kind::quarter, "quarter"},
                                                      {period_kind::year, "year"}}};
}  // namespace

const char* period_name(period_kind p) noexcept { return periods.name(p); }

period_kind parse_period(const std::string& name) {
  // "one of ...": the wording messages and tests have always used for periods.
  if (const auto p = periods.find(name)) return *p;
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
