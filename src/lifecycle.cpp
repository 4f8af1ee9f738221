#include "tierkit/lifecycle.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tierkit/error.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.lifecycle";
constexpr int stages_count = 6;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}  // namespace

const char* lifecycle_stage_name(lifecycle_stage s) noexcept {
  switch (s) {
    case lifecycle_stage::prospect: return "prospect";
    case lifecycle_stage::new_customer: return "new";
    case lifecycle_stage::active: return "active";
    case lifecycle_stage::dormant: return "dormant";
    case lifecycle_stage::churned: return "churned";
    case lifecycle_stage::reactivated: return "reactivated";
  }
  return "unknown";
}

const char* lifecycle_stage_name_zh(lifecycle_stage s) noexcept {
  switch (s) {
    case lifecycle_stage::prospect: return "潜在客户";
    case lifecycle_stage::new_customer: return "新客户";
    case lifecycle_stage::active: return "活跃客户";
    case lifecycle_stage::dormant: return "沉睡客户";
    case lifecycle_stage::churned: return "流失客户";
    case lifecycle_stage::reactivated: return "回流客户";
  }
  return "unknown";
}

void lifecycle_config::check() const {
  auto fail = [](const std::string& m) { throw invalid_input(std::string(fn) + ": " + m); };
  if (new_days < 1 || dormant_days < 1 || churn_days < 1) fail("windows must be at least one day");
  if (churn_days <= dormant_days) {
    fail("churn_days (" + std::to_string(churn_days) + ") must exceed dormant_days (" +
         std::to_string(dormant_days) + ")");
  }
  if (relative_to_gap) {
    if (!(dormant_gaps > 0) || !(churn_gaps > dormant_gaps)) {
      fail("with relative_to_gap, need 0 < dormant_gaps < churn_gaps");
    }
    if (min_relative_days < 1) fail("min_relative_days must be at least one day");
  }
  if (by_p_alive && !(churn_p_alive > 0 && churn_p_alive < dormant_p_alive && dormant_p_alive <= 1)) {
    fail("with by_p_alive, need 0 < churn_p_alive < dormant_p_alive <= 1; got churn_p_alive " +
         std::to_string(churn_p_alive) + ", dormant_p_alive " + std::to_string(dormant_p_alive));
  }
}

lifecycle_model::lifecycle_model(lifecycle_config config) : config_(config) { config_.check(); }

bool lifecycle_model::operator==(const lifecycle_model& o) const {
  const lifecycle_config &a = config_, &b = o.config_;
  return a.new_days == b.new_days && a.dormant_days == b.dormant_days &&
         a.churn_days == b.churn_days && a.relative_to_gap == b.relative_to_gap &&
         a.dormant_gaps == b.dormant_gaps && a.churn_gaps == b.churn_gaps &&
         a.min_relative_days == b.min_relative_days && a.by_p_alive == b.by_p_alive &&
         a.dormant_p_alive == b.dormant_p_alive && a.churn_p_alive == b.churn_p_alive;
}

lifecycle_result lifecycle_model::stages(const metric_table& t) const {
  const number_span recency = t.column("recency", fn);
  const number_span tenure = t.column("tenure", fn);
  const number_span last_gap = t.column("last_gap", fn);
  const number_span median_gap = config_.relative_to_gap ? t.column("median_gap", fn) : number_span();
  const number_span alive = config_.by_p_alive ? t.column("p_alive", fn) : number_span();
  const std::size_t n = t.rows();
  lifecycle_result r;
  r.stage.resize(n);
  r.dormant_threshold.resize(n);
  r.churn_threshold.resize(n);
  r.counts.assign(stages_count, 0);
  for (std::size_t i = 0; i < n; ++i) {
    lifecycle_stage s;
    double dormant = nan, churn = nan;
    if (std::isnan(recency[i])) {
      s = lifecycle_stage::prospect;
    } else {
      dormant = config_.dormant_days;
      churn = config_.churn_days;
      if (!median_gap.empty() && !std::isnan(median_gap[i])) {
        const double g = median_gap[i];
        dormant = std::max<double>(config_.min_relative_days, config_.dormant_gaps * g);
        churn = std::max<double>(config_.min_relative_days + 1, config_.churn_gaps * g);
      }
      const bool judged = !alive.empty() && !std::isnan(alive[i]);
      if (judged ? alive[i] < config_.churn_p_alive : recency[i] > churn) {
        s = lifecycle_stage::churned;
      } else if (judged ? alive[i] < config_.dormant_p_alive : recency[i] > dormant) {
        s = lifecycle_stage::dormant;
      } else if (tenure[i] <= config_.new_days) {
        s = lifecycle_stage::new_customer;
      } else if (!std::isnan(last_gap[i]) && last_gap[i] > dormant) {
        s = lifecycle_stage::reactivated;
      } else {
        s = lifecycle_stage::active;
      }
    }
    r.stage[i] = s;
    r.dormant_threshold[i] = dormant;
    r.churn_threshold[i] = churn;
    ++r.counts[static_cast<std::size_t>(s)];
  }
  return r;
}

score_table lifecycle_model::apply(const metric_table& t) const {
  lifecycle_result r = stages(t);
  std::vector<std::int32_t> codes(r.stage.size());
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::int32_t>(r.stage[i]);
  std::vector<std::string> en, zh;
  for (int s = 0; s < stages_count; ++s) {
    en.emplace_back(lifecycle_stage_name(static_cast<lifecycle_stage>(s)));
    zh.emplace_back(lifecycle_stage_name_zh(static_cast<lifecycle_stage>(s)));
  }
  score_table out;
  out.add_labels("lifecycle", codes, en);
  out.add_labels("lifecycle_zh", codes, zh);
  std::vector<std::uint8_t> known(r.stage.size());
  for (std::size_t i = 0; i < known.size(); ++i) known[i] = !std::isnan(r.dormant_threshold[i]);
  out.add_numbers("dormant_after_days", std::move(r.dormant_threshold), known);
  out.add_numbers("churned_after_days", std::move(r.churn_threshold), known);
  return out;
}

score_table lifecycle_model::summary() const {
  // The rules as a table: stage, condition (in words), labels.
  std::vector<std::int32_t> stage(stages_count);
  std::vector<std::string> en, zh;
  for (int s = 0; s < stages_count; ++s) {
    stage[static_cast<std::size_t>(s)] = s;
    en.emplace_back(lifecycle_stage_name(static_cast<lifecycle_stage>(s)));
  }
  const std::string dormant = config_.relative_to_gap
                                  ? "max(" + std::to_string(config_.min_relative_days) + ", " +
                                        std::to_string(config_.dormant_gaps) + " x median gap)"
                                  : std::to_string(config_.dormant_days);
  const std::string churn = config_.relative_to_gap
                                ? "max(" + std::to_string(config_.min_relative_days + 1) + ", " +
                                      std::to_string(config_.churn_gaps) + " x median gap)"
                                : std::to_string(config_.churn_days);
  const std::vector<std::string> rules = {
      "no purchase",
      "first purchase within " + std::to_string(config_.new_days) + " days",
      "otherwise",
      config_.by_p_alive ? "P(alive) below " + std::to_string(config_.dormant_p_alive) + " (without P(alive): no purchase for more than " + dormant + " days)"
                         : "no purchase for more than " + dormant + " days",
      config_.by_p_alive ? "P(alive) below " + std::to_string(config_.churn_p_alive) + " (without P(alive): no purchase for more than " + churn + " days)"
                         : "no purchase for more than " + churn + " days",
      "came back after more than " + dormant + " days without a purchase"};
  score_table t;
  t.add_labels("stage", stage, en);
  std::vector<std::int32_t> rule_codes(stages_count);
  for (int s = 0; s < stages_count; ++s) rule_codes[static_cast<std::size_t>(s)] = s;
  t.add_labels("rule", rule_codes, rules);
  return t;
}

lifecycle_strategy::lifecycle_strategy(lifecycle_config config) : config_(config) { config_.check(); }

lifecycle_model lifecycle_strategy::fit_lifecycle(const metric_table& t) const {
  // Nothing is estimated; checking the columns now reports a wrong table at fit time.
  t.column("recency", fn);
  t.column("tenure", fn);
  t.column("last_gap", fn);
  if (config_.relative_to_gap) t.column("median_gap", fn);
  if (config_.by_p_alive) t.column("p_alive", fn);
  return lifecycle_model(config_);
}

std::unique_ptr<model> lifecycle_strategy::fit(const metric_table& t) const {
  return std::make_unique<lifecycle_model>(fit_lifecycle(t));
}

}  // namespace tierkit
