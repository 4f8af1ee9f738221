#include "tierkit/rule_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "tierkit/error.hpp"

namespace tierkit {

namespace {

// A view with a validity mask it owns (LSB first, 1 = valid).
struct masked_view {
  column_view view;
  std::vector<std::uint8_t> validity;
};

std::shared_ptr<const column_view> with_mask(column_view v, const std::vector<bool>& valid) {
  auto m = std::make_shared<masked_view>();
  m->validity.assign((valid.size() + 7) / 8, 0);
  bool any_null = false;
  for (std::size_t i = 0; i < valid.size(); ++i) {
    if (valid[i]) m->validity[i >> 3] |= static_cast<std::uint8_t>(1u << (i & 7));
    else any_null = true;
  }
  m->view = std::move(v);
  m->view.validity = any_null ? m->validity.data() : nullptr;
  return std::shared_ptr<const column_view>(m, &m->view);  // shares the mask's lifetime
}

}  // namespace

void add_profile_columns(rule_table& table, const profile& p, const std::vector<std::string>& only) {
  const char* f = "tierkit.add_profile_columns";
  const std::size_t n = p.size();
  std::vector<bool> bought(n), two_days(n);
  for (std::size_t i = 0; i < n; ++i) {
    bought[i] = p.first_purchase[i] != no_day;
    if (p.has_purchase_days) two_days[i] = p.previous_purchase[i] != no_day;
  }
  struct entry {
    const char* name;
    bool present;
    std::shared_ptr<const column_view> make;
  };
  auto days = [&](const char* name, const std::vector<std::int32_t>& v, const std::vector<bool>& valid) {
    return with_mask(day_column(name, v.data(), v.size()), valid);
  };
  auto ints32 = [&](const char* name, const std::vector<std::int32_t>& v, const std::vector<bool>& valid) {
    return with_mask(int32_column(name, v.data(), v.size()), valid);
  };
  auto ints = [&](const char* name, const std::vector<std::int64_t>& v) {
    return std::make_shared<const column_view>(int64_column(name, v.data(), v.size()));
  };
  auto floats = [&](const char* name, const std::vector<double>& v) {  // NaN is null for numbers
    return std::make_shared<const column_view>(float64_column(name, v.data(), v.size()));
  };
  std::vector<entry> all{
      {"first_purchase", true, days("first_purchase", p.first_purchase, bought)},
      {"last_purchase", true, days("last_purchase", p.last_purchase, bought)},
      {"recency", true, ints32("recency", p.recency, bought)},
      {"tenure", true, ints32("tenure", p.tenure, bought)},
      {"previous_purchase", p.has_purchase_days, p.has_purchase_days ? days("previous_purchase", p.previous_purchase, two_days) : nullptr},
      {"median_gap", p.has_purchase_days, p.has_purchase_days ? floats("median_gap", p.median_gap) : nullptr},
      {"frequency", true, ints("frequency", p.frequency)},
      {"purchase_days", p.has_purchase_days, p.has_purchase_days ? ints("purchase_days", p.purchase_days) : nullptr},
      {"transactions", true, ints("transactions", p.transactions)},
      {"returns", true, ints("returns", p.returns)},
      {"monetary", true, floats("monetary", p.monetary)},
      {"gross_sales", true, floats("gross_sales", p.gross_sales)},
      {"returns_value", true, floats("returns_value", p.returns_value)},
      {"average_order_value", true, floats("average_order_value", p.average_order_value)},
      {"quantity", p.has_quantity, p.has_quantity ? floats("quantity", p.quantity) : nullptr},
      {"channels", p.has_channels, p.has_channels ? ints("channels", p.channels) : nullptr},
      {"categories", p.has_categories, p.has_categories ? ints("categories", p.categories) : nullptr},
  };
  for (const std::string& want : only) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const entry& e) { return want == e.name; });
    if (it == all.end()) {
      throw schema_error(std::string(f) + ": a profile has no column '" + want + "'");
    }
    if (!it->present) {
      const bool day_column = want == "previous_purchase" || want == "median_gap" || want == "purchase_days";
      throw schema_error(std::string(f) + ": the profile has no column '" + want + "': " +
                         (day_column ? "it was built with purchase_days off"
                                     : "its transactions had no " + std::string(want == "quantity" ? "quantity" : want == "channels" ? "channel" : "category") + " column"));
    }
  }
  for (const entry& e : all) {
    if (!e.present) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), e.name) == only.end()) continue;
    table.add_column(e.make);
  }
}

void add_score_columns(rule_table& table, const score_table& scores, const std::vector<std::string>& only) {
  std::vector<const score_column*> chosen;
  if (only.empty()) {
    for (const score_column& c : scores.columns) chosen.push_back(&c);
  } else {
    for (const std::string& name : only) chosen.push_back(&scores.column(name));  // schema_error if absent
  }
  for (const score_column* c : chosen) {
    const std::size_t n = c->size();
    if (c->type == score_column::kind::label) {
      std::vector<std::int32_t> codes(n);
      for (std::size_t i = 0; i < n; ++i) codes[i] = c->code(i);  // 8-bit codes widened; -1 = null
      table.add_text(c->name, std::move(codes), c->labels);
      continue;
    }
    std::vector<double> values(n);
    const double null = std::nan("");
    for (std::size_t i = 0; i < n; ++i) {
      if (!c->is_valid(i)) values[i] = null;
      else if (c->type == score_column::kind::integer) values[i] = static_cast<double>(c->integers[i]);
      else values[i] = c->numbers[i];
    }
    table.add_numbers(c->name, std::move(values));
  }
}

}  // namespace tierkit
