#include "tierkit/binning.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/enum_names.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "detail/int128.hpp"

namespace tierkit {

namespace {
constexpr detail::enum_table<bin_method, 5> bin_methods{{{bin_method::quantiles, "quantiles"},
                                                         {bin_method::percentiles, "percentiles"},
                                                         {bin_method::fixed, "fixed"},
                                                         {bin_method::mean, "mean"},
                                                         {bin_method::median, "median"}}};
constexpr detail::enum_table<interval_closure, 2> closures{
    {{interval_closure::right, "right"}, {interval_closure::left, "left"}}};
constexpr detail::enum_table<quantile_rule, 3> quantile_rules{{{quantile_rule::inverted_cdf, "inverted_cdf"},
                                                               {quantile_rule::linear_r, "linear_r"},
                                                               {quantile_rule::linear_numpy, "linear_numpy"}}};
}  // namespace

const char* bin_method_name(bin_method m) noexcept { return bin_methods.name(m); }

bin_method parse_bin_method(const std::string& name) { return bin_methods.parse(name, "tierkit: binning method"); }

const char* closure_name(interval_closure c) noexcept { return closures.name(c); }

interval_closure parse_closure(const std::string& name) {
  // The message says what each closure means.
  if (const auto c = closures.find(name)) return *c;
  throw invalid_input("tierkit: closed must be 'right' (bins (lo, hi]) or 'left' (bins [lo, hi)); got '" +
                      name + "'");
}

const char* quantile_rule_name(quantile_rule r) noexcept { return quantile_rules.name(r); }

quantile_rule parse_quantile_rule(const std::string& name) {
  return quantile_rules.parse(name, "tierkit: quantile rule");
}

void binning_config::check(const std::string& what) const {
  auto fail = [&](const std::string& m) { throw invalid_input(what + ": " + m); };
  auto increasing = [](const std::vector<double>& v) {
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (!(v[i] > v[i - 1])) return false;
    }
    return true;
  };
  switch (method) {
    case bin_method::quantiles:
      if (bins < 2 || bins > 100) fail("bins must be between 2 and 100; got " + std::to_string(bins));
      break;
    case bin_method::percentiles:
      if (percentiles.empty() || percentiles.size() > 99) fail("give 1 to 99 percentiles");
      for (double p : percentiles) {
        if (!(p > 0 && p < 100)) fail("percentiles must lie strictly between 0 and 100; got " +
                                      std::to_string(p));
      }
      if (!increasing(percentiles)) fail("percentiles must be strictly increasing");
      break;
    case bin_method::fixed:
      if (cuts.empty() || cuts.size() > 99) fail("give 1 to 99 cut values");
      for (double c : cuts) {
        if (!std::isfinite(c)) fail("cut values must be finite");
      }
      if (!increasing(cuts)) fail("cut values must be strictly increasing");
      break;
    case bin_method::mean:
    case bin_method::median:
      break;
  }
  if (!std::isfinite(cut_offset)) fail("cut_offset must be finite");
}

std::vector<int> fitted_bins::empty_scores() const {
  std::vector<int> out;
  for (int s = 1; s <= bins; ++s) {
    if (fit_counts[static_cast<std::size_t>(s - 1)] == 0) out.push_back(s);
  }
  return out;
}

std::pair<double, double> fitted_bins::bounds(int score) const noexcept {
  const int b = higher_is_better ? score - 1 : bins - score;  // bin index 0..k-1
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = b == 0 ? -inf : cuts[static_cast<std::size_t>(b - 1)];
  const double hi = b == bins - 1 ? inf : cuts[static_cast<std::size_t>(b)];
  return {lo, hi};
}

namespace {
// Order statistics of the fitted values. Whole numbers in a narrow range (days and counts:
// recency, frequency) are counted once into a histogram, so that every cut point is a
// lookup; other values are found by selection (nth_element), never by a full sort.
class order_statistics {
 public:
  explicit order_statistics(std::vector<double>& v) : v_(v) {}
  std::size_t size() const noexcept { return v_.size(); }
  // The rank-th smallest value (1-based, clamped to 1..n).
  double at(std::size_t rank) {
    rank = std::clamp<std::size_t>(rank, 1, v_.size());
    if (!prepared_) prepare();
    if (!cumulative_.empty()) {
      const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), rank);
      return min_ + static_cast<double>(it - cumulative_.begin());
    }
    // Each selection leaves v_ partitioned around the rank it placed; a later rank is
    // selected only between the placed ranks around it (quintiles: about 2.5 passes over
    // the values instead of 4 x 2).
    const std::size_t i = rank - 1;
    const auto after = std::lower_bound(placed_.begin(), placed_.end(), i);
    if (after != placed_.end() && *after == i) return v_[i];
    const std::size_t lo = after == placed_.begin() ? 0 : *(after - 1) + 1;
    const std::size_t hi = after == placed_.end() ? v_.size() : *after;
    std::nth_element(v_.begin() + static_cast<std::ptrdiff_t>(lo), v_.begin() + static_cast<std::ptrdiff_t>(i),
                     v_.begin() + static_cast<std::ptrdiff_t>(hi));
    placed_.insert(after, i);
    return v_[i];
  }

 private:
  // On the first lookup: the histogram, when the values allow it.
  void prepare() {
    prepared_ = true;
    const std::vector<double>& v = v_;
    // Below 64 values selection is as quick. Above, the histogram (a range of at most 4
    // counts per value) takes two passes where the selections take several: fits of
    // many small groups (grouped.hpp) have mostly such recency and frequency values.
    if (v.size() < 64) return;
    // At most 4 counts per value and 2^22 in all (32 MiB).
    const double max_range = std::min(double{1 << 22}, 4.0 * static_cast<double>(v.size()));
    double lo = v[0], hi = v[0];
    for (const double x : v) {
      if (x != std::trunc(x) || (x == 0 && std::signbit(x))) return;  // -0.0 keeps its sign
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    if (hi - lo >= max_range) return;
    min_ = lo;
    cumulative_.assign(static_cast<std::size_t>(hi - lo) + 1, 0);
    for (const double x : v) ++cumulative_[static_cast<std::size_t>(x - lo)];
    for (std::size_t i = 1; i < cumulative_.size(); ++i) cumulative_[i] += cumulative_[i - 1];
  }

  std::vector<double>& v_;
  bool prepared_ = false;
  double min_ = 0;
  std::vector<std::size_t> cumulative_;  // values <= min_ + i
  std::vector<std::size_t> placed_;      // ascending positions holding their order statistic
};

// Linear interpolation between order statistics, as R's quantile(type = 7) computes it:
// index = 1 + (n-1) p; (1-h) x[lo] + h x[hi].
double quantile_linear_r(order_statistics& v, double p) {
  const std::size_t n = v.size();
  const double index = 1.0 + static_cast<double>(n - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(index));
  const auto hi = static_cast<std::size_t>(std::ceil(index));
  const double x_lo = v.at(lo);
  if (!(index > static_cast<double>(lo))) return x_lo;
  const double x_hi = v.at(hi);
  if (x_hi == x_lo) return x_lo;
  const double h = index - static_cast<double>(lo);
  return (1.0 - h) * x_lo + h * x_hi;
}

// numpy's "linear" percentile (what pandas quantile and qcut use): virtual index
// n q + (1 - q) - 1, then numpy's lerp, which interpolates from the nearer end.
double quantile_linear_numpy(order_statistics& v, double q) {
  const auto n = static_cast<double>(v.size());
  const double virtual_index = n * q + (1.0 - q) - 1.0;
  double prev = std::floor(virtual_index);
  double gamma = virtual_index - prev;
  prev = std::clamp(prev, 0.0, n - 1.0);
  const double next = std::min(prev + 1.0, n - 1.0);
  if (virtual_index < 0) gamma = 0;
  const double a = v.at(static_cast<std::size_t>(prev) + 1);
  const double b = v.at(static_cast<std::size_t>(next) + 1);
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

// ceil(j * n / k) in exact integer arithmetic.
std::size_t quantile_rank(std::size_t j, std::size_t n, std::size_t k) {
  return static_cast<std::size_t>((static_cast<detail::uint128>(j) * n + k - 1) / k);
}

// ceil(p / 100 * n) for a percentile level p; the level is a decimal the user wrote, so a
// product within 1e-12 (relative) of an integer counts as that integer.
std::size_t percentile_rank(double p, std::size_t n) {
  const long double r = static_cast<long double>(p) * static_cast<long double>(n) / 100.0L;
  const long double nearest = std::round(r);
  if (std::fabs(r - nearest) <= 1e-12L * std::max(1.0L, r)) return static_cast<std::size_t>(nearest);
  return static_cast<std::size_t>(std::ceil(r));
}
}  // namespace

fitted_bins fit_bins(const std::vector<double>& values, const binning_config& config,
                     const std::string& what) {
  return fit_bins(std::vector<double>(values), config, what);
}

fitted_bins fit_bins(std::vector<double>&& values, const binning_config& config, const std::string& what) {
  config.check(what);
  // NaN left out in place, without a branch per value: each value is written at the next
  // free position, which advances only past a kept one.
  std::vector<double> v = std::move(values);
  const std::size_t given = v.size();
  std::size_t kept = 0;
  std::int64_t infinite = 0;
  for (std::size_t i = 0; i < given; ++i) {
    const double x = v[i];
    v[kept] = x;
    kept += !std::isnan(x);
    infinite += std::isinf(x);
  }
  v.resize(kept);
  if (infinite > 0) {
    throw invalid_input(what + ": " + detail::rows_text(infinite) + " hold an infinite value");
  }
  fitted_bins f;
  f.closed = config.closed;
  f.higher_is_better = config.higher_is_better;
  f.method = config.method;
  f.fit_rows = static_cast<std::int64_t>(v.size());
  f.fit_missing = static_cast<std::int64_t>(given - kept);
  const bool needs_data = config.method != bin_method::fixed;
  if (needs_data && v.empty()) {
    throw invalid_input(what + ": no values to fit (" + detail::rows_text(f.fit_missing) +
                        " missing)");
  }
  order_statistics stats(v);
  switch (config.method) {
    case bin_method::quantiles: {
      f.bins = config.bins;
      const double by = 1.0 / config.bins;  // R's seq(0, 1, length.out = k + 1) step
      for (int j = 1; j < config.bins; ++j) {
        double c = 0;
        switch (config.rule) {
          case quantile_rule::inverted_cdf:
            c = stats.at(quantile_rank(static_cast<std::size_t>(j), v.size(),
                                       static_cast<std::size_t>(config.bins)));
            break;
          case quantile_rule::linear_r: c = quantile_linear_r(stats, j * by); break;
          case quantile_rule::linear_numpy:
            // numpy.linspace(0, 1, k + 1)[j], as pandas.qcut builds its levels
            c = quantile_linear_numpy(stats, static_cast<double>(j) * by);
            break;
        }
        f.cuts.push_back(c + config.cut_offset);
      }
      break;
    }
    case bin_method::percentiles:
      f.bins = static_cast<int>(config.percentiles.size()) + 1;
      for (double p : config.percentiles) {
        double c = 0;
        switch (config.rule) {
          case quantile_rule::inverted_cdf: c = stats.at(percentile_rank(p, v.size())); break;
          case quantile_rule::linear_r: c = quantile_linear_r(stats, p / 100.0); break;
          case quantile_rule::linear_numpy: c = quantile_linear_numpy(stats, p / 100.0); break;
        }
        f.cuts.push_back(c + config.cut_offset);
      }
      break;
    case bin_method::fixed:
      f.bins = static_cast<int>(config.cuts.size()) + 1;
      f.cuts = config.cuts;
      break;
    case bin_method::mean: {
      long double sum = 0;
      for (double x : v) sum += x;
      f.bins = 2;
      f.cuts = {static_cast<double>(sum / static_cast<long double>(v.size()))};
      break;
    }
    case bin_method::median:
      f.bins = 2;
      f.cuts = {stats.at(quantile_rank(1, v.size(), 2))};
      break;
  }
  // Increasing levels give non-decreasing order statistics; sorting only restates it.
  std::sort(f.cuts.begin(), f.cuts.end());
  f.requested_bins = f.bins;
  if (config.collapse == collapse_policy::renumber && !v.empty()) {
    // Keep cuts strictly inside (min, max), once each: the remaining bins are numbered
    // 1..m. All values equal leaves one bin.
    const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
    const double lo = *lo_it, hi = *hi_it;
    std::vector<double> kept;
    for (double c : f.cuts) {
      if (c > lo && c < hi && (kept.empty() || c > kept.back())) kept.push_back(c);
    }
    f.cuts = kept;
    f.bins = static_cast<int>(kept.size()) + 1;
  }
  f.fit_counts.assign(static_cast<std::size_t>(f.bins), 0);
  for (double x : v) ++f.fit_counts[static_cast<std::size_t>(f.score(x) - 1)];
  return f;
}

}  // namespace tierkit
