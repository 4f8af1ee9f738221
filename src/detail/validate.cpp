#include "detail/validate.hpp"

#include <algorithm>

#include "detail/decode.hpp"
#include "detail/text.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit::detail {

namespace {

constexpr std::int64_t block = 4096;

// Counts rows for one (column, problem) and marks them invalid.
class issue_counter {
 public:
  issue_counter(validation_result& r, std::int64_t rows) : result_(r), rows_(rows) {}

  void mark(const std::string& column, const char* problem, std::int64_t row) {
    if (current_ == nullptr || current_->column != column || current_->problem != problem) {
      select(column, problem);
    }
    ++current_->rows;
    if (result_.invalid.empty()) result_.invalid.assign(static_cast<std::size_t>(rows_), 0);
    result_.invalid[static_cast<std::size_t>(row)] = 1;
  }

  void finish() {
    result_.issues.erase(std::remove_if(result_.issues.begin(), result_.issues.end(),
                                        [](const row_issue& i) { return i.rows == 0; }),
                         result_.issues.end());
    for (std::uint8_t v : result_.invalid) result_.invalid_rows += v;
  }

 private:
  void select(const std::string& column, const char* problem) {
    for (row_issue& i : result_.issues) {
      if (i.column == column && i.problem == problem) {
        current_ = &i;
        return;
      }
    }
    result_.issues.push_back(row_issue{column, problem, 0});
    current_ = nullptr;
    // push_back may have moved earlier entries; point at the new last one.
    current_ = &result_.issues.back();
  }

  validation_result& result_;
  std::int64_t rows_;
  row_issue* current_ = nullptr;
};

void check_keys(const column_view& c, issue_counter& count) {
  const bool dict = c.type == data_type::dictionary;
  const column_view indices = dict ? dictionary_indices(c) : column_view{};
  if (dict) {
    const std::int64_t size = c.dictionary->length;
    for (std::int64_t b = 0; b < c.length; b += block) {
      const std::int64_t n = std::min(block, c.length - b);
      for_each_int(indices, b, n, [&](std::int64_t i, std::int64_t k) {
        const std::int64_t row = b + i;
        if (!c.is_valid(row)) {
          count.mark(c.name, "null", row);
        } else if (k < 0 || k >= size) {
          count.mark(c.name, "dictionary index out of range", row);
        } else if (!c.dictionary->is_valid(k)) {
          count.mark(c.name, "null", row);
        }
      });
    }
    return;
  }
  if (!c.may_have_nulls()) return;
  for (std::int64_t row = 0; row < c.length; ++row) {
    if (!c.is_valid(row)) count.mark(c.name, "null", row);
  }
}

void check_numbers(const column_view& c, issue_counter& count) {
  std::vector<number_state> state(static_cast<std::size_t>(std::min(block, c.length)));
  for (std::int64_t b = 0; b < c.length; b += block) {
    const std::int64_t n = std::min(block, c.length - b);
    classify_numbers(c, b, n, state.data());
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t row = b + i;
      if (!c.is_valid(row)) {
        count.mark(c.name, "null", row);
        continue;
      }
      switch (state[static_cast<std::size_t>(i)]) {
        case number_state::ok: break;
        case number_state::nan: count.mark(c.name, "NaN", row); break;
        case number_state::infinite: count.mark(c.name, "infinite", row); break;
        case number_state::out_of_range:
          count.mark(c.name, "magnitude 2^60 or more", row);
          break;
      }
    }
  }
}

void check_times(const column_view& c, const validation_options& o, issue_counter& count) {
  std::vector<std::int64_t> days(static_cast<std::size_t>(std::min(block, c.length)));
  const std::string after = o.as_of ? "on or after as_of " + format_day(*o.as_of) : "";
  for (std::int64_t b = 0; b < c.length; b += block) {
    const std::int64_t n = std::min(block, c.length - b);
    decode_days(c, b, n, *o.zone, days.data());
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t row = b + i;
      const std::int64_t d = days[static_cast<std::size_t>(i)];
      if (!c.is_valid(row)) {
        count.mark(c.name, "null", row);
      } else if (d > max_abs_day || d < -max_abs_day) {
        count.mark(c.name, "outside the supported date range", row);
      } else if (o.as_of && d >= *o.as_of) {
        count.mark(c.name, after.c_str(), row);
      }
    }
  }
}

}  // namespace

validation_result validate_columns(std::int64_t rows, const std::vector<const column_view*>& keys,
                                   const column_view* time,
                                   const std::vector<const column_view*>& numbers,
                                   const validation_options& options) {
  validation_result result;
  issue_counter count(result, rows);
  for (const column_view* k : keys) check_keys(*k, count);
  if (time) check_times(*time, options, count);
  for (const column_view* n : numbers) check_numbers(*n, count);
  count.finish();
  return result;
}

validation_result validate_transactions(const transactions& batch,
                                        const validation_options& options) {
  std::vector<const column_view*> keys = {&batch.customer}, numbers = {&batch.amount};
  for (const auto* c : {&batch.order, &batch.channel, &batch.category}) {
    if (*c) keys.push_back(&**c);
  }
  if (batch.quantity) numbers.push_back(&*batch.quantity);
  return validate_columns(batch.rows(), keys, &batch.time, numbers, options);
}

void throw_invalid_rows(const char* function, const std::vector<row_issue>& issues,
                        std::int64_t invalid_rows, std::int64_t total_rows) {
  std::string msg = std::string(function) + ": " + rows_text(invalid_rows) + " of " +
                    format_count(total_rows) + " are invalid: ";
  for (std::size_t i = 0; i < issues.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += "column '" + issues[i].column + "': " + rows_text(issues[i].rows) + " " +
           (issues[i].rows == 1 ? "is " : "are ") + issues[i].problem;
  }
  msg += ". Fix the data, or pass on_invalid='drop' (C++: invalid_policy::drop) to leave "
         "these rows out; dropped rows are counted in the result's report.";
  throw invalid_input(msg);
}

}  // namespace tierkit::detail
