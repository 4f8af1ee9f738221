#include "tierkit/strategies/clv_summary.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"
#include "tierkit/strategies/mle.hpp"

namespace tierkit {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Counts the rows failing `bad` and throws invalid_input naming the first.
template <class Bad>
void refuse(const char* function, std::size_t n, const char* what, Bad&& bad) {
  std::size_t count = 0, first = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (bad(i)) {
      if (count++ == 0) first = i;
    }
  }
  if (count > 0) {
    throw invalid_input(std::string(function) + ": " + what + ": " + std::to_string(count) +
                        (count == 1 ? " row" : " rows") + " of " + std::to_string(n) + " (first: row " +
                        std::to_string(first) + ")");
  }
}

}  // namespace

void clv_data::check(const char* function) const {
  const std::size_t n = x.size();
  if (t_x.size() != n || T.size() != n || (!weight.empty() && weight.size() != n)) {
    throw invalid_input(std::string(function) + ": x, t_x, T" + (weight.empty() ? "" : ", weight") +
                        " must have equal lengths; got " + std::to_string(n) + ", " + std::to_string(t_x.size()) +
                        ", " + std::to_string(T.size()) + (weight.empty() ? "" : ", " + std::to_string(weight.size())));
  }
  // One pass finds whether any row is bad (the usual answer: none); only then the checks
  // below run one by one to name the problem and count its rows.
  // The tests are combined with & rather than &&: x = 0 or not is data, and a branch on it
  // per row was mispredicted about as often as not. x is whole when truncated to an integer
  // it stays the same (tested below 2^53 on the value or 0.5 in its place, a select; from
  // 2^53 every finite double is whole): a conversion instruction, where std::floor is a
  // library call in a portable x86-64 build.
  constexpr double whole_from = 9007199254740992.0;  // 2^53
  constexpr double inf = std::numeric_limits<double>::infinity();
  bool any_bad = false;
  for (std::size_t i = 0; i < n; ++i) {
    const double xi = x[i], ti = t_x[i], Ti = T[i];
    const double below = xi >= 0 && xi < whole_from ? xi : 0.5;
    const bool x_ok = (below == static_cast<double>(static_cast<std::int64_t>(below))) | ((xi >= whole_from) & (xi < inf));
    const bool ok = x_ok & (ti >= 0) & (ti < inf) & (Ti >= 0) & (Ti < inf) & (Ti >= ti) & ((xi != 0) | (ti <= 0));
    any_bad |= !ok;
  }
  if (!weight.empty()) {
    for (std::size_t i = 0; i < n; ++i) {
      const double w = weight[i];
      const bool ok = (w >= 0) & (w < inf);  // one test, no branch per row
      any_bad |= !ok;
    }
  }
  if (!any_bad) return;
  refuse(function, n, "x (repeat purchases) must be a non-negative integer, found another value",
         [&](std::size_t i) { return !(x[i] >= 0) || !std::isfinite(x[i]) || x[i] != std::floor(x[i]); });
  refuse(function, n, "t_x (time of the last repeat purchase) must be non-negative and finite, found another value",
         [&](std::size_t i) { return !(t_x[i] >= 0) || !std::isfinite(t_x[i]); });
  refuse(function, n, "T (time from the first purchase to the calibration end) must be non-negative and finite, found another value",
         [&](std::size_t i) { return !(T[i] >= 0) || !std::isfinite(T[i]); });
  refuse(function, n, "T must be at least t_x, found T < t_x", [&](std::size_t i) { return T[i] < t_x[i]; });
  refuse(function, n, "t_x must be 0 when x is 0 (no repeat purchase), found t_x > 0",
         [&](std::size_t i) { return x[i] == 0 && t_x[i] > 0; });
  if (!weight.empty()) {
    refuse(function, n, "weights must be non-negative and finite, found another value",
           [&](std::size_t i) { return !(weight[i] >= 0) || !std::isfinite(weight[i]); });
  }
}

bool mle_report::operator==(const mle_report& o) const {
  auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  auto same_v = [&](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same(a[i], b[i])) return false;
    }
    return true;
  };
  return names == o.names && same_v(estimate, o.estimate) && same_v(std_error, o.std_error) &&
         same(log_likelihood, o.log_likelihood) && l2_penalty == o.l2_penalty && iterations == o.iterations &&
         evaluations == o.evaluations && same(gradient_norm, o.gradient_norm) && customers == o.customers &&
         distinct_rows == o.distinct_rows && left_out == o.left_out && fitted == o.fitted;
}

namespace {

void check_profile(const profile& p, const char* function, const char* which) {
  if (!p.has_purchase_days) {
    throw schema_error(std::string(function) + ": the " + which +
                       " profile was built without purchase days; build it with purchase_days on");
  }
  if (p.period != period_kind::day || (p.series_offsets.empty() && p.size() > 0)) {
    throw schema_error(std::string(function) + ": the " + which +
                       " profile needs a daily spend series (profile_config period = day, spend_series on) for "
                       "the value of the repeat purchase days; its series is by " + period_name(p.period) +
                       (p.series_offsets.empty() ? " and absent" : ""));
  }
}

int compare_keys(const customer_keys& a, std::size_t i, const customer_keys& b, std::size_t j) {
  if (!a.is_string) return a.ints[i] < b.ints[j] ? -1 : (a.ints[i] > b.ints[j] ? 1 : 0);
  const int c = a.string_at(i).compare(b.string_at(j));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

void push_key(customer_keys& out, const customer_keys& in, std::size_t i) {
  if (!in.is_string) {
    out.ints.push_back(in.ints[i]);
    return;
  }
  if (out.offsets.empty()) out.offsets.push_back(0);
  out.chars.append(in.string_at(i));
  out.offsets.push_back(static_cast<std::int64_t>(out.chars.size()));
}

clv_summary summarize(const profile& cal, const profile* hold, const clv_summary_config& config) {
  const char* fn = "tierkit.make_clv_summary";
  if (!(config.unit_days > 0) || !std::isfinite(config.unit_days)) {
    throw invalid_input(std::string(fn) + ": unit_days must be positive and finite; got " + number(config.unit_days));
  }
  check_profile(cal, fn, "calibration");
  clv_summary s;
  s.unit_days = config.unit_days;
  s.calibration_end = cal.as_of - 1;
  s.customer.is_string = cal.customer.is_string;
  if (s.customer.is_string) s.customer.offsets.push_back(0);
  const double u = config.unit_days;
  for (std::size_t i = 0; i < cal.size(); ++i) {
    if (cal.first_purchase[i] == no_day) {
      ++s.without_purchase;
      continue;
    }
    push_key(s.customer, cal.customer, i);
    const std::int32_t first = cal.first_purchase[i];
    const double x = static_cast<double>(cal.purchase_days[i] - 1);
    s.first_purchase.push_back(first);
    s.profile_row.push_back(static_cast<std::int64_t>(i));
    s.x.push_back(x);
    s.t_x.push_back((cal.last_purchase[i] - first) / u);
    s.T.push_back((s.calibration_end - first) / u);
    // Net of the lines after the first purchase day (returns netted), per repeat day.
    double repeat = 0;
    for (std::int64_t k = cal.series_offsets[i]; k < cal.series_offsets[i + 1]; ++k) {
      if (cal.series_period[static_cast<std::size_t>(k)] > first) repeat += cal.series_net[static_cast<std::size_t>(k)];
    }
    s.m_x.push_back(x > 0 ? repeat / x : 0.0);
  }
  if (hold != nullptr) {
    check_profile(*hold, fn, "holdout");
    if (!hold->window_start || *hold->window_start != cal.as_of) {
      throw invalid_input(std::string(fn) + ": the holdout profile must have the window [calibration as_of, ...) "
                          "(window_start = the day after the calibration end)");
    }
    if (hold->customer.is_string != cal.customer.is_string) {
      throw schema_error(std::string(fn) + ": the calibration and holdout profiles have different key types");
    }
    s.has_holdout = true;
    s.holdout_end = hold->as_of - 1;
    s.T_star = (hold->as_of - cal.as_of) / u;
    s.x_star.assign(s.size(), 0.0);
    s.m_x_star.assign(s.size(), 0.0);
    // Both are in key order: one merge walk.
    std::size_t i = 0;
    for (std::size_t j = 0; j < hold->size(); ++j) {
      while (i < s.size() && compare_keys(s.customer, i, hold->customer, j) < 0) ++i;
      if (i < s.size() && compare_keys(s.customer, i, hold->customer, j) == 0) {
        const double xs = static_cast<double>(hold->purchase_days[j]);
        s.x_star[i] = xs;
        s.m_x_star[i] = xs > 0 ? hold->monetary[j] / xs : 0.0;
      } else if (hold->first_purchase[j] != no_day) {
        ++s.holdout_only;
      }
    }
  }
  return s;
}

}  // namespace

clv_summary make_clv_summary(const profile& calibration, const clv_summary_config& config) {
  return summarize(calibration, nullptr, config);
}

clv_summary make_clv_summary(const profile& calibration, const profile& holdout, const clv_summary_config& config) {
  return summarize(calibration, &holdout, config);
}

clv_summary make_clv_summary(const transactions& tx, std::int32_t calibration_end,
                             std::optional<std::int32_t> holdout_end, const clv_summary_config& config,
                             const profile_config& profiling) {
  const char* fn = "tierkit.make_clv_summary";
  if (holdout_end && *holdout_end <= calibration_end) {
    throw invalid_input(std::string(fn) + ": holdout_end must be after calibration_end");
  }
  if (!is_supported_day(static_cast<std::int64_t>(calibration_end) + 1)) {
    throw invalid_input(std::string(fn) + ": calibration_end is outside the supported dates");
  }
  profile_config c = profiling;
  c.period = period_kind::day;
  c.spend_series = true;
  c.purchase_days = true;
  c.window_start = first_supported_day;
  c.as_of = calibration_end + 1;
  profile_state cal_state(c);
  cal_state.update(tx);
  profile cal = cal_state.finish(true);
  bool any = false;
  for (std::int32_t d : cal.first_purchase) any = any || d != no_day;
  if (!any) {
    throw invalid_input(std::string(fn) + ": calibration_end is before every purchase: no purchase line on or before it (" +
                        std::to_string(cal.report.rows_outside_window) + " rows after it)");
  }
  if (!holdout_end) return summarize(cal, nullptr, config);
  profile_config h = c;
  h.window_start = calibration_end + 1;
  h.as_of = *holdout_end + 1;
  profile_state hold_state(h);
  hold_state.update(tx);
  const profile hold = hold_state.finish(true);
  return summarize(cal, &hold, config);
}

}  // namespace tierkit
