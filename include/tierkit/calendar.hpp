#pragma once
// Calendar arithmetic on day numbers (days since 1970-01-01, proleptic Gregorian) and the
// periods that profiles bucket spend into.
#include <cstdint>
#include <string>
#include <string_view>

namespace tierkit {

struct civil_date {
  std::int32_t year;
  std::int32_t month;  // 1..12
  std::int32_t day;    // 1..31
};

// The days tierkit accepts as times of transactions, balance events and attributes, and as
// as_of and window bounds: 0001-01-01 to 9999-12-31, the dates that Python's
// datetime.date, Arrow's date32 through Python and pandas (as date objects) all represent.
// (pandas' datetime64[ns] spans only 1677..2262; profiles give dates as date32, which
// pandas shows as datetime.date objects, not as datetime64[ns].)
inline constexpr std::int32_t first_supported_day = -719'162;   // 0001-01-01
inline constexpr std::int32_t last_supported_day = 2'932'896;   // 9999-12-31

inline constexpr bool is_supported_day(std::int64_t day) noexcept {
  return day >= first_supported_day && day <= last_supported_day;
}

// Day number of a civil date and back. Valid for years -32767..32767.
std::int32_t days_from_civil(std::int32_t year, std::int32_t month, std::int32_t day) noexcept;
civil_date civil_from_days(std::int32_t days) noexcept;
// ISO-8601 "YYYY-MM-DD".
std::string format_day(std::int32_t days);

// A plausible range of days, both included: a date outside is far more often a typo or a
// placeholder (0000-00-00, 9999-12-31) than a real purchase. Parsing refuses such a date, and
// profiles and balances make a row dated outside their valid_dates (a day_range) an invalid
// row, unless the caller widens the range (at most to first_supported_day ..
// last_supported_day). The default is 1900-01-01 to 2200-12-31.
struct day_range {
  std::int32_t first = -25'567;   // 1900-01-01
  std::int32_t last = 84'370;     // 2200-12-31
};

// ISO-8601 text to a day number: "YYYY-MM-DD", optionally followed by a time ("T" or one
// space, then "HH:MM", "HH:MM:SS" or "HH:MM:SS.fraction") and an offset ("Z", "+HH:MM",
// "-HH:MM", "+HHMM", "+HH"). parse_day gives the calendar day as written (the day in the
// writer's own offset; the time and offset are checked, not applied); parse_time gives the
// instant in microseconds since 1970-01-01T00:00:00Z (text without an offset is UTC).
// invalid_input names the text, what is wrong there, and the accepted range.
std::int32_t parse_day(std::string_view text, day_range range = {});
std::int64_t parse_time(std::string_view text, day_range range = {});

// Periods for per-period spend series. Weeks start on Monday (ISO 8601); quarters start in
// January, April, July and October. A period is identified by the day number of its
// first day.
enum class period_kind : std::uint8_t { day, week, month, quarter, year };

const char* period_name(period_kind p) noexcept;
// Parses "day", "week", "month", "quarter", "year"; throws tierkit::invalid_input otherwise.
period_kind parse_period(const std::string& name);
// First day of the period containing `days`.
std::int32_t period_start(period_kind p, std::int32_t days) noexcept;
// First day of the period after the one that starts on (or contains) `days`.
std::int32_t next_period_start(period_kind p, std::int32_t days) noexcept;

}  // namespace tierkit
