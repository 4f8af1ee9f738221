#include "tierkit/over_time/schedule.hpp"

#include <algorithm>

#include "detail/text.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
// Months since year 0 of a civil month, and back: schedules step in whole months.
std::int64_t month_index(const civil_date& c) noexcept {
  return static_cast<std::int64_t>(c.year) * 12 + (c.month - 1);
}
std::int32_t first_of_month(std::int64_t index) noexcept {
  std::int64_t y = index >= 0 ? index / 12 : (index - 11) / 12;
  return days_from_civil(static_cast<std::int32_t>(y), static_cast<std::int32_t>(index - y * 12) + 1, 1);
}
std::int32_t days_in_month(std::int32_t y, std::int32_t m) noexcept {
  const std::int32_t next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
  return next - days_from_civil(y, m, 1);
}
}  // namespace

const char* frequency_name(assessment_frequency f) noexcept {
  switch (f) {
    case assessment_frequency::month: return "month";
    case assessment_frequency::quarter: return "quarter";
    case assessment_frequency::half_year: return "half_year";
    case assessment_frequency::year: return "year";
  }
  return "unknown";
}

assessment_frequency parse_frequency(const std::string& name) {
  for (auto f : {assessment_frequency::month, assessment_frequency::quarter,
                 assessment_frequency::half_year, assessment_frequency::year}) {
    if (name == frequency_name(f)) return f;
  }
  throw invalid_input("tierkit: assessment frequency must be one of 'month', 'quarter', "
                      "'half_year', 'year'; got '" + name + "'");
}

std::int32_t frequency_months(assessment_frequency f) noexcept {
  switch (f) {
    case assessment_frequency::month: return 1;
    case assessment_frequency::quarter: return 3;
    case assessment_frequency::half_year: return 6;
    case assessment_frequency::year: return 12;
  }
  return 1;
}

bool is_assessment_date(assessment_frequency f, std::int32_t day) noexcept {
  const civil_date c = civil_from_days(day);
  return c.day == 1 && (c.month - 1) % frequency_months(f) == 0;
}

std::int32_t assessment_on_or_after(assessment_frequency f, std::int32_t day) noexcept {
  const civil_date c = civil_from_days(day);
  const std::int64_t step = frequency_months(f);
  std::int64_t m = month_index(c);
  if (c.day != 1) ++m;
  const std::int64_t r = ((m % step) + step) % step;
  if (r != 0) m += step - r;
  return first_of_month(m);
}

std::int32_t assessment_after(assessment_frequency f, std::int32_t day, std::int32_t k) noexcept {
  return first_of_month(month_index(civil_from_days(day)) +
                        static_cast<std::int64_t>(k) * frequency_months(f));
}

std::vector<std::int32_t> assessment_dates(assessment_frequency f, std::int32_t from,
                                           std::int32_t through) {
  if (from > through) {
    throw invalid_input("tierkit: assessment dates from " + format_day(from) +
                        " through " + format_day(through) + ": the start is after the end");
  }
  std::vector<std::int32_t> out;
  for (std::int32_t d = assessment_on_or_after(f, from); d <= through;
       d = assessment_after(f, d, 1)) {
    if (out.size() >= max_assessment_dates) {
      throw invalid_input("tierkit: more than 100,000 assessment dates from " + format_day(from) +
                          " through " + format_day(through) + ", the most a schedule may hold");
    }
    out.push_back(d);
  }
  return out;
}

std::int32_t months_before(std::int32_t day, std::int32_t months) noexcept {
  const civil_date c = civil_from_days(day);
  const std::int64_t m = month_index(c) - months;
  const std::int32_t first = first_of_month(m);
  const civil_date f = civil_from_days(first);
  return first + std::min(c.day, days_in_month(f.year, f.month)) - 1;
}

void check_assessment_dates(const std::vector<std::int32_t>& dates, const char* function) {
  if (dates.empty()) throw invalid_input(std::string(function) + ": no assessment dates");
  if (dates.size() > max_assessment_dates) {
    throw invalid_input(std::string(function) + ": " +
                        detail::format_count(static_cast<std::int64_t>(dates.size())) +
                        " assessment dates; at most 100,000 are allowed");
  }
  for (std::size_t i = 1; i < dates.size(); ++i) {
    if (dates[i] <= dates[i - 1]) {
      throw invalid_input(std::string(function) + ": assessment dates must be strictly "
                          "ascending; date " + std::to_string(i + 1) + " (" +
                          format_day(dates[i]) + ") is not after date " + std::to_string(i) +
                          " (" + format_day(dates[i - 1]) + ")");
    }
  }
}

}  // namespace tierkit
