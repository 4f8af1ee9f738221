#pragma once
// Assessment schedules: the dates at which customers are re-assessed.
//
// An assessment at date d judges the customer on what happened before d: d is the as_of of
// the assessment (exclusive end of its window). A frequency names the period that ends
// just before each assessment: a monthly schedule assesses on the first day of every month
// (the as_of of the day after each month's last day), a quarterly one on 1 January, 1 April,
// 1 July and 1 October, half-yearly on 1 January and 1 July, yearly on 1 January. Dates are
// day numbers (days since 1970-01-01).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tierkit {

enum class assessment_frequency : std::uint8_t { month, quarter, half_year, year };

// The most assessment dates a schedule, a list of dates or a ledger holds: more than 8,000
// years of monthly assessments, far more than any history needs; a longer one is a mistake
// in its dates (a range ending in year 9999, days taken for months) that would otherwise run
// out of memory on the records of every customer at every date.
inline constexpr std::size_t max_assessment_dates = 100000;

const char* frequency_name(assessment_frequency f) noexcept;
// Parses "month", "quarter", "half_year", "year"; throws tierkit::invalid_input otherwise.
assessment_frequency parse_frequency(const std::string& name);
// Months in one period of the frequency (1, 3, 6, 12).
std::int32_t frequency_months(assessment_frequency f) noexcept;

// True when `day` is an assessment date of the frequency (the first day of a period).
bool is_assessment_date(assessment_frequency f, std::int32_t day) noexcept;
// The first assessment date on or after `day`.
std::int32_t assessment_on_or_after(assessment_frequency f, std::int32_t day) noexcept;
// The assessment date `k` periods after the assessment date `day` (k may be negative);
// `day` must be an assessment date.
std::int32_t assessment_after(assessment_frequency f, std::int32_t day, std::int32_t k) noexcept;
// Every assessment date in [from, through] (both inclusive), ascending; throws
// tierkit::invalid_input when from > through or the range holds more than 100,000 dates.
std::vector<std::int32_t> assessment_dates(assessment_frequency f, std::int32_t from,
                                           std::int32_t through);

// A month count moved back from an assessment date: the start of a trailing window of
// `months` months ending at `day` (e.g. 12 months before 2011-12-01 is 2010-12-01). The day
// of month is kept, clamped to the month's length.
std::int32_t months_before(std::int32_t day, std::int32_t months) noexcept;

// Checks a list of assessment dates given by hand: strictly ascending, at least one, at most
// max_assessment_dates. Throws tierkit::invalid_input naming `function`, the position and
// both dates (or the count).
void check_assessment_dates(const std::vector<std::int32_t>& dates, const char* function);

}  // namespace tierkit
