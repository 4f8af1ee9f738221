#include "tierkit/strategies/clv.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "tierkit/error.hpp"

namespace tierkit {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}

void clv_config::check() const {
  const char* fn = "tierkit.clv_config";
  if (model != "bg_nbd" && model != "pareto_nbd") {
    throw invalid_input(std::string(fn) + ": model must be 'bg_nbd' or 'pareto_nbd'; got '" + model + "'");
  }
  if (!(unit_days > 0) || !std::isfinite(unit_days)) throw invalid_input(std::string(fn) + ": unit_days must be positive");
  if (!(horizon > 0) || !std::isfinite(horizon)) throw invalid_input(std::string(fn) + ": horizon must be positive");
  if (steps < 1) throw invalid_input(std::string(fn) + ": steps must be at least 1; got " + std::to_string(steps));
  if (!(discount_rate > -1) || !std::isfinite(discount_rate)) {
    throw invalid_input(std::string(fn) + ": discount_rate must be above -1");
  }
}

clv_inputs clv_inputs_of(const metric_table& metrics, double unit_days, const char* function) {
  clv_inputs in;
  const std::size_t n = metrics.rows();
  in.x.resize(n);
  in.t_x.resize(n);
  in.T.resize(n);
  in.m_x.resize(n);
  in.valid.assign(n, 1);
  if (metrics.has("x") && metrics.has("t_x") && metrics.has("T")) {
    const number_span x = metrics.column("x", function), tx = metrics.column("t_x", function),
                      T = metrics.column("T", function);
    const bool has_m = metrics.has("m_x");
    const number_span m = has_m ? metrics.column("m_x", function) : number_span{};
    for (std::size_t i = 0; i < n; ++i) {
      in.valid[i] = !(std::isnan(x[i]) || std::isnan(tx[i]) || std::isnan(T[i]));
      in.x[i] = in.valid[i] ? x[i] : 0;
      in.t_x[i] = in.valid[i] ? tx[i] : 0;
      in.T[i] = in.valid[i] ? T[i] : 0;
      in.m_x[i] = has_m ? m[i] : nan;
    }
    in.value_basis = has_m ? "repeat purchase days" : "none";
    return in;
  }
  const number_span days = metrics.column("purchase_days", function);
  const number_span recency = metrics.column("recency", function);
  const number_span tenure = metrics.column("tenure", function);
  const bool repeat = metrics.has("repeat_value");
  const number_span value = repeat ? metrics.column("repeat_value", function) : metrics.column("monetary", function);
  in.value_basis = repeat ? "repeat purchase days" : "all purchase days";
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(days[i]) || std::isnan(recency[i]) || std::isnan(tenure[i]) || days[i] < 1) {
      in.valid[i] = 0;
      in.x[i] = in.t_x[i] = in.T[i] = 0;
      in.m_x[i] = nan;
      continue;
    }
    const double x = days[i] - 1;
    in.x[i] = x;
    in.t_x[i] = (tenure[i] - recency[i]) / unit_days;
    in.T[i] = (tenure[i] - 1) / unit_days;
    in.m_x[i] = repeat ? (x > 0 ? value[i] / x : 0.0) : value[i] / days[i];
  }
  return in;
}

clv_model::clv_model(clv_config config, bg_nbd_model purchases, gamma_gamma_model value, std::string value_basis)
    : config_(std::move(config)), bg_(std::move(purchases)), value_(std::move(value)), value_basis_(std::move(value_basis)) {
  config_.model = "bg_nbd";
}

clv_model::clv_model(clv_config config, pareto_nbd_model purchases, gamma_gamma_model value, std::string value_basis)
    : config_(std::move(config)), pareto_(std::move(purchases)), value_(std::move(value)), value_basis_(std::move(value_basis)) {
  config_.model = "pareto_nbd";
}

std::vector<double> clv_model::p_alive(const clv_data& d) const {
  return is_pareto() ? pareto_.p_alive(d) : bg_.p_alive(d);
}

std::vector<double> clv_model::conditional_expected_purchases(double t, const clv_data& d) const {
  return is_pareto() ? pareto_.conditional_expected_purchases(t, d) : bg_.conditional_expected_purchases(t, d);
}

score_table clv_model::apply(const metric_table& metrics) const {
  const char* fn = "tierkit.clv_model.apply";
  const clv_inputs in = clv_inputs_of(metrics, config_.unit_days, fn);
  const std::size_t n = in.x.size();
  // Only customers with purchases are predicted; rows of the others are left out here and
  // come back null.
  std::vector<double> x, tx, T, m;
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < n; ++i) {
    if (!in.valid[i]) continue;
    rows.push_back(i);
    x.push_back(in.x[i]);
    tx.push_back(in.t_x[i]);
    T.push_back(in.T[i]);
    m.push_back(in.m_x[i]);
  }
  const clv_data d{x, tx, T, {}};
  d.check(fn);
  const std::vector<double> alive = p_alive(d);
  const std::vector<double> value = value_.conditional_expected_value(x, m);
  std::vector<double> previous(rows.size(), 0.0), total(rows.size(), 0.0), clv(rows.size(), 0.0);
  const double h = config_.horizon / config_.steps;
  for (int k = 1; k <= config_.steps; ++k) {
    const std::vector<double> e = conditional_expected_purchases(h * k, d);
    const double discount = std::pow(1.0 + config_.discount_rate, k);
    for (std::size_t j = 0; j < rows.size(); ++j) {
      clv[j] += value[j] * (e[j] - previous[j]) / discount;
      previous[j] = e[j];
    }
  }
  total = previous;
  std::vector<double> o_alive(n, nan), o_exp(n, nan), o_val(n, nan), o_clv(n, nan);
  std::vector<std::uint8_t> valid(n, 0);
  for (std::size_t j = 0; j < rows.size(); ++j) {
    const std::size_t i = rows[j];
    o_alive[i] = alive[j];
    o_exp[i] = total[j];
    o_val[i] = value[j];
    o_clv[i] = clv[j];
    valid[i] = 1;
  }
  score_table out;
  out.add_numbers("p_alive", std::move(o_alive), valid);
  out.add_numbers("expected_purchases", std::move(o_exp), valid);
  out.add_numbers("expected_value", std::move(o_val), valid);
  out.add_numbers("clv", std::move(o_clv), std::move(valid));
  return out;
}

score_table clv_model::summary() const {
  std::vector<std::int32_t> component;
  std::vector<std::string> names;
  std::vector<double> estimate, se;
  auto add = [&](int c, const mle_report& r) {
    for (std::size_t i = 0; i < r.names.size(); ++i) {
      component.push_back(c);
      names.push_back(r.names[i]);
      estimate.push_back(r.estimate[i]);
      se.push_back(i < r.std_error.size() ? r.std_error[i] : nan);
    }
    for (auto [name, v] : {std::pair<const char*, double>{"log_likelihood", r.log_likelihood},
                           {"customers", r.customers},
                           {"distinct_rows", static_cast<double>(r.distinct_rows)}}) {
      component.push_back(c);
      names.push_back(name);
      estimate.push_back(v);
      se.push_back(nan);
    }
  };
  add(0, is_pareto() ? pareto_.report() : bg_.report());
  add(1, value_.report());
  std::vector<std::int32_t> name_codes(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) name_codes[i] = static_cast<std::int32_t>(i);
  score_table t;
  t.add_labels("component", component, {is_pareto() ? "pareto_nbd" : "bg_nbd", "gamma_gamma"});
  t.add_labels("parameter", name_codes, names);
  t.add_numbers("estimate", estimate);
  std::vector<std::uint8_t> valid(se.size());
  for (std::size_t i = 0; i < se.size(); ++i) valid[i] = !std::isnan(se[i]);
  t.add_numbers("std_error", se, valid);
  return t;
}

bool clv_model::operator==(const clv_model& o) const {
  return config_.model == o.config_.model && config_.unit_days == o.config_.unit_days &&
         config_.horizon == o.config_.horizon && config_.steps == o.config_.steps &&
         config_.discount_rate == o.config_.discount_rate && bg_ == o.bg_ && pareto_ == o.pareto_ &&
         value_ == o.value_ && value_basis_ == o.value_basis_;
}

clv_strategy::clv_strategy(clv_config config) : config_(std::move(config)) { config_.check(); }

std::unique_ptr<model> clv_strategy::fit(const metric_table& metrics) const {
  return std::make_unique<clv_model>(fit_clv(metrics));
}

clv_model clv_strategy::fit_clv(const metric_table& metrics) const {
  const char* fn = "tierkit.clv_strategy.fit";
  const clv_inputs in = clv_inputs_of(metrics, config_.unit_days, fn);
  std::vector<double> x, tx, T, m;
  for (std::size_t i = 0; i < in.x.size(); ++i) {
    if (!in.valid[i]) continue;
    x.push_back(in.x[i]);
    tx.push_back(in.t_x[i]);
    T.push_back(in.T[i]);
    m.push_back(std::isnan(in.m_x[i]) ? 0.0 : in.m_x[i]);
  }
  if (x.empty()) throw invalid_input(std::string(fn) + ": no customer with a purchase to fit on");
  const clv_data d{x, tx, T, {}};
  gamma_gamma_model value = fit_gamma_gamma(x, m, {}, config_.value);
  if (config_.model == "pareto_nbd") return clv_model(config_, fit_pareto_nbd(d, config_.purchases), value, in.value_basis);
  return clv_model(config_, fit_bg_nbd(d, config_.purchases), value, in.value_basis);
}

}  // namespace tierkit
