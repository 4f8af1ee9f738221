#include "profile_state_impl.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "detail/cancel_point.hpp"
#include "detail/chunk_rows.hpp"
#include "detail/key_dictionary.hpp"
#include "detail/key_numbering.hpp"
#include "detail/validate.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/transactions.hpp"

// Profile states: construction, updates and merges.

namespace tierkit {

profile_state::profile_state(profile_config config)
    : impl_(std::make_unique<impl>(std::move(config))) {
  if (impl_->config.as_of && impl_->config.window_start &&
      *impl_->config.window_start >= *impl_->config.as_of) {
    throw invalid_input(std::string(fn) + ": window_start " +
                        format_day(*impl_->config.window_start) + " must be before as_of " +
                        format_day(*impl_->config.as_of));
  }
  for (auto d : {impl_->config.as_of, impl_->config.window_start}) {
    if (d && !is_supported_day(*d)) {
      throw invalid_input(std::string(fn) + ": as_of and window_start must lie within the "
                          "supported dates 0001-01-01 to 9999-12-31; got day " +
                          std::to_string(*d) + " (" + format_day(*d) + ")");
    }
  }
  detail::check_valid_days(fn, impl_->config.valid_dates);
}
profile_state::~profile_state() = default;
profile_state::profile_state(profile_state&&) noexcept = default;
profile_state& profile_state::operator=(profile_state&&) noexcept = default;
profile_state::profile_state(const profile_state& o) : impl_(std::make_unique<impl>(*o.impl_)) {}
profile_state& profile_state::operator=(const profile_state& o) {
  if (this != &o) impl_ = std::make_unique<impl>(*o.impl_);
  return *this;
}

const profile_config& profile_state::config() const noexcept { return impl_->config; }
std::int64_t profile_state::rows_read() const noexcept { return impl_->report.rows_read; }
std::size_t profile_state::customers() const noexcept {
  const impl& s = *impl_;
  if (!s.holes) return s.customers.size();
  std::size_t n = 0;
  for (std::size_t c = 0; c < s.customers.size(); ++c) n += s.aggs[c].lines() > 0;
  return n;
}

void profile_state::update(const transactions& batch) {
  update(std::vector<transactions>{batch});
}

void profile_state::update(const std::vector<transactions>& batches) {
  impl& s = *impl_;
  s.check_usable();
  if (batches.empty()) return;
  detail::cancel_point cancel(fn);
  // 1. Shape: every batch, before anything changes.
  for (const transactions& b : batches) b.check_schema(fn);
  s.check_shape(batches);
  s.fix_shape(batches.front());
  // 2. Rows: validate every batch; raise before aggregating anything.
  detail::validation_options vo;
  vo.function = fn;
  vo.zone = &s.config.zone;
  vo.valid_days = s.config.valid_dates;
  vo.threads = s.config.threads;
  vo.cancel = &cancel;
  if (!s.config.window_start) vo.as_of = s.config.as_of;
  std::vector<detail::validation_result> checks;
  checks.reserve(batches.size());
  validation_report batch_report;
  std::int64_t total = 0;
  for (const transactions& b : batches) {
    checks.push_back(detail::validate_transactions(b, vo));
    total += b.rows();
    batch_report.rows_read += b.rows();
    batch_report.rows_dropped += checks.back().invalid_rows;
    validation_report r;
    r.dropped = checks.back().issues;
    batch_report.merge(r);
  }

  if (s.config.on_invalid == invalid_policy::raise && batch_report.rows_dropped > 0) {
    detail::throw_invalid_rows(fn, batch_report.dropped, batch_report.rows_dropped, total);
  }
  // 3. Aggregate, in chunks of rows (bounding the transient buffers), on several threads
  //    when the input is large enough. Cancellation is looked for before each chunk; once a
  //    chunk has been added, any exception leaves the state interrupted (see impl).
  cancel.check();
  bool adding = false;
  try {
    const unsigned threads = thread_count(s.config, static_cast<std::size_t>(total));
    std::vector<const std::uint8_t*> masks;
    for (const auto& c : checks) masks.push_back(c.invalid.empty() ? nullptr : c.invalid.data());
    std::vector<impl::piece> chunk;
    std::int64_t chunk_size = 0;
    s.compact_logs();
    std::vector<const column_view*> keys;
    for (const transactions& b : batches) keys.push_back(&b.customer);
    if (detail::choose_key_numbering(s.customers, keys, total, threads)) {
      s.holes = true;
      s.aggs.resize(s.customers.size(), threads);
    }
    const std::int64_t chunk_rows = detail::chunk_rows_for(total, s.customers);
    for (std::size_t i = 0; i < batches.size(); ++i) {
      for (std::int64_t r = 0; r < batches[i].rows();) {
        const std::int64_t take = std::min(batches[i].rows() - r, chunk_rows - chunk_size);
        chunk.push_back(impl::piece{i, r, r + take});
        chunk_size += take;
        r += take;
        if (chunk_size == chunk_rows) {
          cancel.check();
          adding = true;
          s.aggregate_chunk(batches, chunk, masks, threads);
          chunk.clear();
          chunk_size = 0;
        }
      }
    }
    if (!chunk.empty()) {
      cancel.check();
      adding = true;
      s.aggregate_chunk(batches, chunk, masks, threads);
    }
    s.end_update();
  } catch (...) {
    if (adding) s.interrupted = true;
    throw;
  }
  batch_report.rows_used = 0;  // counted by aggregate_chunk()
  s.report.merge(batch_report);
}

void profile_state::merge(const profile_state& other) {
  if (this == &other) {
    throw invalid_input(std::string(fn) + ": cannot merge a profile state with itself");
  }
  impl_->check_usable();
  other.impl_->check_usable();
  impl_->merge(*other.impl_);
}

void profile_state::merge_window(const profile_state& other) {
  if (this == &other) {
    throw invalid_input(std::string(fn) + ": cannot merge a profile state with itself");
  }
  impl_->check_usable();
  other.impl_->check_usable();
  profile_config& a = impl_->config;
  const profile_config& b = other.impl_->config;
  if (!a.as_of || !a.window_start || !b.as_of || !b.window_start) {
    throw invalid_input(std::string(fn) + ": merge_window needs states with explicit windows "
                        "(as_of and window_start); use merge() for partial states of one window");
  }
  if (*b.window_start < *a.as_of && *a.window_start < *b.as_of) {
    throw invalid_input(std::string(fn) + ": cannot merge the windows [" + format_day(*a.window_start) +
                        ", " + format_day(*a.as_of) + ") and [" + format_day(*b.window_start) + ", " +
                        format_day(*b.as_of) + "): they overlap");
  }
  impl_->merge(*other.impl_, true);
  a.window_start = std::min(*a.window_start, *b.window_start);
  a.as_of = std::max(*a.as_of, *b.as_of);
}

std::int64_t profile_state::rows_used() const noexcept { return impl_->report.rows_used; }

profile profile_state::finish() const { return finish(false); }

profile make_profile(const transactions& batch, const profile_config& config) {
  profile_state state(config);
  state.update(batch);
  return state.finish();
}

profile make_profile(const std::vector<transactions>& batches, const profile_config& config) {
  profile_state state(config);
  state.update(batches);
  return state.finish();
}

std::string customer_keys::to_string(std::size_t i) const {
  return is_string ? std::string(string_at(i)) : std::to_string(ints[i]);
}

}  // namespace tierkit
