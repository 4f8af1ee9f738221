#include "tierkit/metric_table.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <thread>

#include "detail/customer_log.hpp"  // parallel_blocks
#include "detail/huge_pages.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/value_potential.hpp"

namespace tierkit {

void metric_table::admit(const std::string& name, std::size_t rows) const {
  if (has(name)) {
    throw schema_error("tierkit.metric_table: column '" + name + "' appears twice");
  }
  if (!names_.empty() && rows != rows_) {
    throw schema_error("tierkit.metric_table: column '" + name + "' has " +
                       detail::rows_text(static_cast<std::int64_t>(rows)) + " but the other columns have " +
                       detail::format_count(static_cast<std::int64_t>(rows_)));
  }
}

void metric_table::add(std::string name, std::vector<double> values) {
  auto owned = std::make_shared<const std::vector<double>>(std::move(values));
  const number_span view(*owned);
  add_borrowed(std::move(name), view.data(), view.size(), std::move(owned));
}

void metric_table::add_borrowed(std::string name, const double* data, std::size_t rows,
                                std::shared_ptr<const void> owner) {
  admit(name, rows);
  rows_ = rows;
  names_.push_back(std::move(name));
  columns_.emplace_back(data, rows);
  owners_.push_back(std::move(owner));
}

bool metric_table::has(const std::string& name) const noexcept {
  for (const std::string& n : names_) {
    if (n == name) return true;
  }
  return false;
}

void metric_table::note_absent(std::string name, std::string why) {
  absent_.emplace_back(std::move(name), std::move(why));
}

number_span metric_table::column(const std::string& name, const char* function) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return columns_[i];
  }
  for (const auto& [absent, why] : absent_) {
    if (absent == name) {
      throw schema_error(std::string(function) + ": no metric column '" + name + "': " + why);
    }
  }
  throw schema_error(std::string(function) + ": no metric column '" + name + "'" +
                     detail::suggest_names(name, names_));
}

metric_table metric_table::slice(std::size_t start, std::size_t count) const {
  if (start > rows_ || count > rows_ - start) {
    throw invalid_input("tierkit.metric_table.slice: rows [" + std::to_string(start) + ", " +
                        std::to_string(start) + " + " + std::to_string(count) + ") run past the " +
                        detail::rows_text(static_cast<std::int64_t>(rows_)) + " of the table");
  }
  metric_table out;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    out.add_borrowed(names_[i], columns_[i].data() + start, count, owners_[i]);
  }
  out.rows_ = count;
  out.absent_ = absent_;
  return out;
}

metric_table metric_table::select(const std::vector<std::string>& names) const {
  metric_table out;
  for (const std::string& name : names) {
    const number_span c = column(name, "tierkit.metric_table.select");
    std::size_t i = 0;
    while (names_[i] != name) ++i;
    out.add_borrowed(name, c.data(), c.size(), owners_[i]);
  }
  out.rows_ = names.empty() ? rows_ : out.rows_;
  out.absent_ = absent_;
  return out;
}

metric_table metric_table::take(const std::vector<std::size_t>& rows) const {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= rows_) {
      throw invalid_input("tierkit.metric_table.take: row " + std::to_string(rows[i]) + " (position " +
                          std::to_string(i) + " of the list) is past the " +
                          detail::rows_text(static_cast<std::int64_t>(rows_)) + " of the table");
    }
  }
  metric_table out;
  for (std::size_t c = 0; c < names_.size(); ++c) {
    std::vector<double> values = detail::new_column<double>(rows.size());
    const double* from = columns_[c].data();
    for (std::size_t i = 0; i < rows.size(); ++i) values[i] = from[rows[i]];
    out.add(names_[c], std::move(values));
  }
  out.rows_ = rows.size();
  out.absent_ = absent_;
  return out;
}

namespace {
template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return detail::column_as<double>(v);
}
std::vector<double> days_or_nan(const std::vector<std::int32_t>& v) {
  std::vector<double> out = detail::new_column<double>(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = v[i] == no_day ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(v[i]);
  }
  return out;
}
}  // namespace

metric_table metric_table::from_profile(const profile& p) {
  // The columns are converted independently, on all cores: each is new memory (huge pages
  // where offered), and its first touch is most of the cost.
  auto last_gap = [&] {
    std::vector<double> v = detail::new_column<double>(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      v[i] = p.previous_purchase[i] == no_day
                 ? std::numeric_limits<double>::quiet_NaN()
                 : static_cast<double>(p.last_purchase[i] - p.previous_purchase[i]);
    }
    return v;
  };
  using column = std::pair<std::string, std::function<std::vector<double>()>>;
  std::vector<column> columns = {
      {"recency", [&] { return days_or_nan(p.recency); }},
      {"tenure", [&] { return days_or_nan(p.tenure); }},
      {"frequency", [&] { return as_double(p.frequency); }},
      {"transactions", [&] { return as_double(p.transactions); }},
      {"returns", [&] { return as_double(p.returns); }},
      {"monetary", [&] { return detail::copy_column(p.monetary); }},
      {"gross_sales", [&] { return detail::copy_column(p.gross_sales); }},
      {"returns_value", [&] { return detail::copy_column(p.returns_value); }},
      {"average_order_value", [&] { return detail::copy_column(p.average_order_value); }},
  };
  if (p.has_purchase_days) {
    columns.push_back({"purchase_days", [&] { return as_double(p.purchase_days); }});
    columns.push_back({"median_gap", [&] { return detail::copy_column(p.median_gap); }});
    columns.push_back({"last_gap", last_gap});
  }
  if (p.has_quantity) columns.push_back({"quantity", [&] { return detail::copy_column(p.quantity); }});
  if (p.has_channels) columns.push_back({"channels", [&] { return as_double(p.channels); }});
  if (p.has_categories) columns.push_back({"categories", [&] { return as_double(p.categories); }});
  if (!p.series_offsets.empty()) columns.push_back({"spend_growth", [&] { return spend_growth(p); }});
  std::vector<std::vector<double>> values(columns.size());
  const unsigned threads = detail::threads_for_rows(p.size());
  detail::parallel_blocks(columns.size(), threads,
                          [&](std::size_t k, unsigned) { values[k] = columns[k].second(); });
  metric_table t;
  for (std::size_t k = 0; k < columns.size(); ++k) t.add(columns[k].first, std::move(values[k]));
  if (t.rows_ == 0) t.rows_ = p.size();
  // The settings are named as in every interface: profile(purchase_days=...) in Python
  // and profile_config in C++, a policy file's transactions section, the command line's
  // --no-purchase-days.
  if (!p.has_purchase_days) {
    for (const char* name : {"purchase_days", "median_gap", "last_gap"}) {
      t.note_absent(name, "the profile was built with purchase_days off; build it with "
                          "purchase_days on (the default) to use this metric");
    }
  }
  if (p.series_offsets.empty()) {
    t.note_absent("spend_growth", "the profile was built with spend_series off; build it "
                                  "with spend_series on (the default) to use this metric");
  }
  return t;
}

}  // namespace tierkit
