#include "tierkit/value_potential.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.value_potential";
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}  // namespace

std::vector<double> spend_growth(const profile& p) {
  const std::size_t n = p.size();
  std::vector<double> out(n, nan);
  if (p.series_offsets.size() != n + 1 || p.series_period.empty()) return out;
  // The window's periods: from the first period with a line to the period of as_of - 1.
  const std::int32_t first = *std::min_element(p.series_period.begin(), p.series_period.end());
  const std::int32_t last = period_start(p.period, p.as_of - 1);
  std::vector<std::int32_t> periods;
  for (std::int32_t d = first; d <= last; d = next_period_start(p.period, d)) periods.push_back(d);
  const std::size_t P = periods.size(), h = P / 2;
  if (h == 0) return out;
  auto index_of = [&](std::int32_t start) {
    return static_cast<std::size_t>(std::lower_bound(periods.begin(), periods.end(), start) - periods.begin());
  };
  for (std::size_t c = 0; c < n; ++c) {
    const auto b = static_cast<std::size_t>(p.series_offsets[c]);
    const auto e = static_cast<std::size_t>(p.series_offsets[c + 1]);
    if (b == e) continue;
    const std::size_t own = index_of(p.series_period[b]);  // the customer's first period
    if (own >= h) continue;                                // no baseline in the first half
    long double s1 = 0, s2 = 0;
    for (std::size_t k = b; k < e; ++k) {
      const std::size_t i = index_of(p.series_period[k]);
      if (i < h) s1 += p.series_net[k];
      else if (i >= P - h) s2 += p.series_net[k];
    }
    const long double r1 = s1 / static_cast<long double>(h - own);
    const long double r2 = s2 / static_cast<long double>(h);
    const long double denom = std::fabs(r1) + std::fabs(r2);
    out[c] = denom == 0 ? 0.0 : static_cast<double>((r2 - r1) / denom);
  }
  return out;
}

value_potential_config value_potential_config::two_by_two() { return {}; }

value_potential_config value_potential_config::three_by_three() {
  value_potential_config c;
  c.value.bins = 3;
  c.potential.bins = 3;
  // value 1 (low) .. 3 (high) by potential 1 .. 3
  c.cells = {"Low", "Nurture", "Develop", "Watch", "Steady", "Grow", "Maintain", "Core", "Star"};
  c.cells_zh = {"一般客户", "维系客户", "培育客户", "关注客户", "稳定客户", "成长客户",
                "维持客户", "核心客户", "明星客户"};
  return c;
}

value_potential_config value_potential_config::preset(const std::string& name) {
  if (name == "2x2") return two_by_two();
  if (name == "3x3") return three_by_three();
  throw invalid_input(std::string(fn) + ": preset must be '2x2' or '3x3'; got '" + name + "'");
}

namespace {
int expected_bins(const binning_config& b) {
  switch (b.method) {
    case bin_method::quantiles: return b.bins;
    case bin_method::percentiles: return static_cast<int>(b.percentiles.size()) + 1;
    case bin_method::fixed: return static_cast<int>(b.cuts.size()) + 1;
    case bin_method::mean:
    case bin_method::median: return 2;
  }
  return 0;
}
}  // namespace

void value_potential_config::check() const {
  value.check(std::string(fn) + " value binning");
  potential.check(std::string(fn) + " potential binning");
  const std::size_t want = static_cast<std::size_t>(expected_bins(value) * expected_bins(potential));
  if (cells.size() != want) {
    throw invalid_input(std::string(fn) + ": the grid has " + std::to_string(expected_bins(value)) +
                        " x " + std::to_string(expected_bins(potential)) + " = " +
                        std::to_string(want) + " cells but " + std::to_string(cells.size()) +
                        " cell names were given");
  }
  if (!cells_zh.empty() && cells_zh.size() != cells.size()) {
    throw invalid_input(std::string(fn) + ": give as many Chinese cell names as cell names, or none");
  }
}

value_potential_model::value_potential_model(value_potential_config config, fitted_bins value,
                                             fitted_bins potential,
                                             std::vector<std::int64_t> cell_customers,
                                             std::vector<double> cell_value, std::int64_t unscored)
    : config_(std::move(config)),
      value_(std::move(value)),
      potential_(std::move(potential)),
      cell_customers_(std::move(cell_customers)),
      cell_value_(std::move(cell_value)),
      unscored_(unscored) {}

bool value_potential_model::operator==(const value_potential_model& o) const {
  auto bits = [](const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
  };
  return config_.value_column == o.config_.value_column &&
         config_.potential_column == o.config_.potential_column && config_.cells == o.config_.cells &&
         config_.cells_zh == o.config_.cells_zh && bits(value_.cuts, o.value_.cuts) &&
         value_.bins == o.value_.bins && bits(potential_.cuts, o.potential_.cuts) &&
         potential_.bins == o.potential_.bins && cell_customers_ == o.cell_customers_ &&
         bits(cell_value_, o.cell_value_) && unscored_ == o.unscored_;
}

score_table value_potential_model::apply(const metric_table& t) const {
  const number_span v = t.column(config_.value_column, fn);
  const number_span p = t.column(config_.potential_column, fn);
  const std::size_t n = t.rows();
  std::vector<std::int64_t> vs(n), ps(n);
  std::vector<std::uint8_t> valid(n);
  std::vector<std::int32_t> cell(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int a = value_.score(v[i]), b = potential_.score(p[i]);
    const bool ok = a > 0 && b > 0;
    valid[i] = ok;
    vs[i] = a;
    ps[i] = b;
    cell[i] = ok ? (a - 1) * potential_.bins + (b - 1) : -1;
  }
  score_table out;
  out.add_integers("value_score", std::move(vs), valid);
  out.add_integers("potential_score", std::move(ps), valid);
  if (!config_.cells_zh.empty()) out.add_labels("vp_cell_zh", cell, config_.cells_zh);
  out.add_labels("vp_cell", std::move(cell), config_.cells);
  if (!config_.cells_zh.empty()) std::swap(out.columns[2], out.columns[3]);
  return out;
}

score_table value_potential_model::summary() const {
  std::vector<std::int32_t> cell;
  std::vector<std::int64_t> vscore, pscore, customers;
  std::vector<double> value, share, customer_share;
  double total = 0;
  std::int64_t total_c = 0;
  for (std::size_t i = 0; i < cell_value_.size(); ++i) {
    total += cell_value_[i];
    total_c += cell_customers_[i];
  }
  for (std::size_t i = 0; i < config_.cells.size(); ++i) {
    cell.push_back(static_cast<std::int32_t>(i));
    vscore.push_back(static_cast<std::int64_t>(i) / potential_.bins + 1);
    pscore.push_back(static_cast<std::int64_t>(i) % potential_.bins + 1);
    customers.push_back(cell_customers_[i]);
    customer_share.push_back(total_c ? static_cast<double>(cell_customers_[i]) / static_cast<double>(total_c) : nan);
    value.push_back(cell_value_[i]);
    share.push_back(total != 0 ? cell_value_[i] / total : nan);
  }
  score_table t;
  t.add_labels("cell", cell, config_.cells);
  t.add_integers("value_score", vscore);
  t.add_integers("potential_score", pscore);
  t.add_integers("customers", customers);
  t.add_numbers("customer_share", customer_share);
  t.add_numbers("value", value);
  t.add_numbers("value_share", share);
  return t;
}

value_potential_strategy::value_potential_strategy(value_potential_config config)
    : config_(std::move(config)) {
  config_.check();
}

value_potential_model value_potential_strategy::fit_vp(const metric_table& t) const {
  const number_span v = t.column(config_.value_column, fn);
  const number_span p = t.column(config_.potential_column, fn);
  if (t.rows() == 0) throw invalid_input(std::string(fn) + ": no customers to fit");
  std::vector<double> fv, fp;
  std::int64_t unscored = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (std::isnan(v[i]) || std::isnan(p[i])) {
      ++unscored;
      continue;
    }
    fv.push_back(v[i]);
    fp.push_back(p[i]);
  }
  if (fv.empty()) {
    throw invalid_input(std::string(fn) + ": no customer has both " + config_.value_column +
                        " and " + config_.potential_column + " (" + detail::rows_text(unscored) +
                        " with a missing value)");
  }
  fitted_bins vb = fit_bins(fv, config_.value, std::string(fn) + " " + config_.value_column);
  fitted_bins pb = fit_bins(fp, config_.potential, std::string(fn) + " " + config_.potential_column);
  const std::size_t cells = static_cast<std::size_t>(vb.bins * pb.bins);
  if (cells != config_.cells.size()) {
    throw invalid_input(std::string(fn) + ": the fitted grid has " + std::to_string(cells) +
                        " cells but " + std::to_string(config_.cells.size()) + " names were given");
  }
  std::vector<std::int64_t> count(cells, 0);
  std::vector<long double> value(cells, 0);
  for (std::size_t i = 0; i < fv.size(); ++i) {
    const std::size_t c = static_cast<std::size_t>((vb.score(fv[i]) - 1) * pb.bins + (pb.score(fp[i]) - 1));
    ++count[c];
    value[c] += fv[i];
  }
  return value_potential_model(config_, std::move(vb), std::move(pb), std::move(count),
                               std::vector<double>(value.begin(), value.end()), unscored);
}

std::unique_ptr<model> value_potential_strategy::fit(const metric_table& t) const {
  return std::make_unique<value_potential_model>(fit_vp(t));
}

}  // namespace tierkit
