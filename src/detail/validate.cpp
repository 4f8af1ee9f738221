#include "detail/validate.hpp"

#include <algorithm>
#include <thread>

#include "detail/customer_log.hpp"  // run_on_threads
#include "detail/decode.hpp"
#include "detail/text.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit::detail {

namespace {

constexpr std::int64_t block = 4096;

// The issues one thread finds in its share of a column's rows: counts per problem, in order
// of first sight, and the rows marked (few, as a rule; the byte mask is built from them at
// the end only when there are any).
class issue_counter {
 public:
  void mark(const std::string& column, const char* problem, std::int64_t row) {
    if (current_ == nullptr || current_->column != column || current_->problem != problem) {
      select(column, problem);
    }
    ++current_->rows;
    rows_.push_back(row);
  }
  const std::vector<row_issue>& issues() const noexcept { return issues_; }
  const std::vector<std::int64_t>& rows() const noexcept { return rows_; }

 private:
  void select(const std::string& column, const char* problem) {
    for (row_issue& i : issues_) {
      if (i.column == column && i.problem == problem) {
        current_ = &i;
        return;
      }
    }
    issues_.push_back(row_issue{column, problem, 0});
    current_ = &issues_.back();  // push_back may have moved earlier entries
  }

  std::vector<row_issue> issues_;
  std::vector<std::int64_t> rows_;
  row_issue* current_ = nullptr;
};

void check_keys(const column_view& c, std::int64_t lo, std::int64_t hi, issue_counter& count) {
  const bool dict = c.type == data_type::dictionary;
  const column_view indices = dict ? dictionary_indices(c) : column_view{};
  if (dict) {
    const std::int64_t size = c.dictionary->length;
    for (std::int64_t b = lo; b < hi; b += block) {
      const std::int64_t n = std::min(block, hi - b);
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
  for (std::int64_t row = lo; row < hi; ++row) {
    if (!c.is_valid(row)) count.mark(c.name, "null", row);
  }
}

void check_numbers(const column_view& c, std::int64_t lo, std::int64_t hi, issue_counter& count) {
  std::vector<number_state> state(static_cast<std::size_t>(std::min(block, hi - lo)));
  for (std::int64_t b = lo; b < hi; b += block) {
    const std::int64_t n = std::min(block, hi - b);
    classify_numbers(c, b, n, state.data());
    if (!c.may_have_nulls()) {  // the common block: nothing to report, seen in one sweep
      std::uint8_t any = 0;     // number_state::ok is 0
      for (std::int64_t i = 0; i < n; ++i) any |= static_cast<std::uint8_t>(state[static_cast<std::size_t>(i)]);
      if (any == 0) continue;
    }
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

void check_times(const column_view& c, const validation_options& o, std::int64_t lo,
                 std::int64_t hi, issue_counter& count) {
  std::vector<std::int64_t> days(static_cast<std::size_t>(std::min(block, hi - lo)));
  const std::string after = o.as_of ? "on or after as_of " + format_day(*o.as_of) : "";
  // One range: valid_days when given (within the supported days, so it covers them), else
  // the supported days themselves.
  const day_range range = o.valid_days.value_or(day_range{first_supported_day, last_supported_day});
  const std::string early = o.valid_days ? "dated before " + format_day(range.first) + " (the first of valid_dates)"
                                         : "outside the supported dates 0001-01-01 to 9999-12-31";
  const std::string late = o.valid_days ? "dated after " + format_day(range.last) + " (the last of valid_dates)"
                                        : early;
  for (std::int64_t b = lo; b < hi; b += block) {
    const std::int64_t n = std::min(block, hi - b);
    decode_days(c, b, n, *o.zone, days.data());
    if (!c.may_have_nulls()) {  // the common block: every day in range, seen in one sweep
      const auto [lo_day, hi_day] = std::minmax_element(days.begin(), days.begin() + n);
      if (*lo_day >= range.first && *hi_day <= range.last && (!o.as_of || *hi_day < *o.as_of)) {
        continue;
      }
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t row = b + i;
      const std::int64_t d = days[static_cast<std::size_t>(i)];
      if (!c.is_valid(row)) {
        count.mark(c.name, "null", row);
      } else if (d < range.first) {
        count.mark(c.name, early.c_str(), row);
      } else if (d > range.last) {
        count.mark(c.name, late.c_str(), row);
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
  // Each thread checks a contiguous share of the rows, every column; its findings are then
  // merged in share order, column by column, so the issues keep the order a single pass
  // would give them (by column as checked, then by first row).
  const unsigned threads = threads_for_rows(static_cast<std::size_t>(rows), options.threads);
  struct column_check {
    const column_view* column;
    int kind;  // 0 key, 1 time, 2 number
  };
  std::vector<column_check> checks;
  for (const column_view* k : keys) checks.push_back({k, 0});
  if (time) checks.push_back({time, 1});
  for (const column_view* n : numbers) checks.push_back({n, 2});
  // counters[t][j]: thread t's findings for check j.
  std::vector<std::vector<issue_counter>> counters(threads, std::vector<issue_counter>(checks.size()));
  run_on_threads(threads, [&](unsigned t) {
    // Shares start on a block boundary (whole bytes of the validity bitmaps).
    const std::int64_t lo = rows * t / threads / block * block;
    const std::int64_t hi = t + 1 == threads ? rows : rows * (t + 1) / threads / block * block;
    for (std::size_t j = 0; j < checks.size(); ++j) {
      if (options.cancel) options.cancel->check();
      const column_view& c = *checks[j].column;
      issue_counter& count = counters[t][j];
      if (checks[j].kind == 0) check_keys(c, lo, hi, count);
      if (checks[j].kind == 1) check_times(c, options, lo, hi, count);
      if (checks[j].kind == 2) check_numbers(c, lo, hi, count);
    }
  });
  validation_result result;
  bool marked = false;
  for (std::size_t j = 0; j < checks.size(); ++j) {
    for (unsigned t = 0; t < threads; ++t) {
      for (const row_issue& found : counters[t][j].issues()) {
        auto it = std::find_if(result.issues.begin(), result.issues.end(), [&](const row_issue& i) {
          return i.column == found.column && i.problem == found.problem;
        });
        if (it == result.issues.end()) {
          result.issues.push_back(found);
        } else {
          it->rows += found.rows;
        }
      }
      marked = marked || !counters[t][j].rows().empty();
    }
  }
  if (marked) {
    result.invalid.assign(static_cast<std::size_t>(rows), 0);
    for (const auto& per_thread : counters) {
      for (const issue_counter& count : per_thread) {
        for (const std::int64_t row : count.rows()) result.invalid[static_cast<std::size_t>(row)] = 1;
      }
    }
    for (const std::uint8_t v : result.invalid) result.invalid_rows += v;
  }
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

void check_valid_days(const char* function, const day_range& range) {
  if (is_supported_day(range.first) && is_supported_day(range.last) && range.first <= range.last) return;
  auto text = [](std::int32_t d) { return is_supported_day(d) ? format_day(d) : "day " + std::to_string(d); };
  throw invalid_input(std::string(function) + ": valid_dates must run from a first to a last day (first <= "
                      "last) within the supported dates 0001-01-01 to 9999-12-31; got " + text(range.first) +
                      " to " + text(range.last));
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
