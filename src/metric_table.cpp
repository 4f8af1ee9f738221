#include "tierkit/metric_table.hpp"

#include <cmath>
#include <limits>

#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/value_potential.hpp"

namespace tierkit {

void metric_table::add(std::string name, std::vector<double> values) {
  if (has(name)) {
    throw schema_error("tierkit.metric_table: column '" + name + "' appears twice");
  }
  if (!names_.empty() && values.size() != rows_) {
    throw schema_error("tierkit.metric_table: column '" + name + "' has " +
                       detail::rows_text(static_cast<std::int64_t>(values.size())) +
                       " but the other columns have " +
                       detail::format_count(static_cast<std::int64_t>(rows_)));
  }
  rows_ = values.size();
  names_.push_back(std::move(name));
  columns_.push_back(std::move(values));
}

bool metric_table::has(const std::string& name) const noexcept {
  for (const std::string& n : names_) {
    if (n == name) return true;
  }
  return false;
}

const std::vector<double>& metric_table::column(const std::string& name,
                                                const char* function) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return columns_[i];
  }
  throw schema_error(std::string(function) + ": no metric column '" + name + "'" +
                     detail::suggest_names(name, names_));
}

namespace {
template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}
std::vector<double> days_or_nan(const std::vector<std::int32_t>& v) {
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = v[i] == no_day ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(v[i]);
  }
  return out;
}
}  // namespace

metric_table metric_table::from_profile(const profile& p) {
  metric_table t;
  t.add("recency", days_or_nan(p.recency));
  t.add("tenure", days_or_nan(p.tenure));
  t.add("frequency", as_double(p.frequency));
  t.add("purchase_days", as_double(p.purchase_days));
  t.add("median_gap", p.median_gap);
  std::vector<double> last_gap(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    last_gap[i] = p.previous_purchase[i] == no_day
                      ? std::numeric_limits<double>::quiet_NaN()
                      : static_cast<double>(p.last_purchase[i] - p.previous_purchase[i]);
  }
  t.add("last_gap", std::move(last_gap));
  t.add("transactions", as_double(p.transactions));
  t.add("returns", as_double(p.returns));
  t.add("monetary", p.monetary);
  t.add("gross_sales", p.gross_sales);
  t.add("returns_value", p.returns_value);
  t.add("average_order_value", p.average_order_value);
  if (p.has_quantity) t.add("quantity", p.quantity);
  if (p.has_channels) t.add("channels", as_double(p.channels));
  if (p.has_categories) t.add("categories", as_double(p.categories));
  if (!p.series_offsets.empty()) t.add("spend_growth", spend_growth(p));
  if (t.rows_ == 0) t.rows_ = p.size();
  return t;
}

}  // namespace tierkit
