#include "tierkit/strategy.hpp"

#include <mutex>

#include "detail/text.hpp"
#include "tierkit/abc.hpp"
#include "tierkit/asset_bands.hpp"
#include "tierkit/error.hpp"
#include "tierkit/grouped.hpp"
#include "tierkit/lifecycle.hpp"
#include "tierkit/value_potential.hpp"
#include "tierkit/rfm.hpp"
#include "tierkit/serialization.hpp"
#include "tierkit/strategies/clv.hpp"
#include "tierkit/strategies/kmeans.hpp"

namespace tierkit {

const score_column& score_table::column(const std::string& name) const {
  std::vector<std::string> names;
  for (const score_column& c : columns) {
    if (c.name == name) return c;
    names.push_back(c.name);
  }
  throw schema_error("tierkit.score_table: no column '" + name + "'" +
                     detail::suggest_names(name, names));
}

namespace {
// A label column without its codes (the caller sets `codes` or `narrow_codes`).
score_column label_column(std::string name, std::vector<std::string> labels) {
  score_column c;
  c.name = std::move(name);
  c.type = score_column::kind::label;
  c.labels = std::move(labels);
  return c;
}
}  // namespace

score_column& score_table::add_integers(std::string name, std::vector<std::int64_t> values,
                                        std::vector<std::uint8_t> valid) {
  score_column c;
  c.name = std::move(name);
  c.type = score_column::kind::integer;
  c.integers = std::move(values);
  c.valid = std::move(valid);
  columns.push_back(std::move(c));
  return columns.back();
}

score_column& score_table::add_numbers(std::string name, std::vector<double> values,
                                       std::vector<std::uint8_t> valid) {
  score_column c;
  c.name = std::move(name);
  c.type = score_column::kind::number;
  c.numbers = std::move(values);
  c.valid = std::move(valid);
  columns.push_back(std::move(c));
  return columns.back();
}

score_column& score_table::add_labels(std::string name, std::vector<std::int32_t> codes,
                                      std::vector<std::string> labels) {
  score_column c = label_column(std::move(name), std::move(labels));
  c.codes = std::move(codes);
  columns.push_back(std::move(c));
  return columns.back();
}

score_column& score_table::add_narrow_labels(std::string name, std::vector<std::int8_t> codes,
                                             std::vector<std::string> labels) {
  if (labels.size() > 128) {
    throw invalid_input("tierkit: label column '" + name + "' has " + std::to_string(labels.size()) +
                        " labels: 8-bit codes take at most 128");
  }
  score_column c = label_column(std::move(name), std::move(labels));
  c.narrow_codes = std::move(codes);
  columns.push_back(std::move(c));
  return columns.back();
}

namespace {
[[noreturn]] void wrong_type(const std::string& key, const char* want) {
  throw invalid_input("tierkit: option '" + key + "' must be " + want);
}
}  // namespace

double options::number(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (const double* d = std::get_if<double>(&it->second)) return *d;
  wrong_type(key, "a number");
}

std::string options::text(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (const std::string* s = std::get_if<std::string>(&it->second)) return *s;
  wrong_type(key, "a text");
}

bool options::flag(const std::string& key, bool fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (const bool* b = std::get_if<bool>(&it->second)) return *b;
  wrong_type(key, "true or false");
}

std::vector<double> options::numbers(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return {};
  if (const auto* v = std::get_if<std::vector<double>>(&it->second)) return *v;
  if (const double* d = std::get_if<double>(&it->second)) return {*d};
  wrong_type(key, "a list of numbers");
}

std::vector<std::string> options::texts(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return {};
  if (const auto* v = std::get_if<std::vector<std::string>>(&it->second)) return *v;
  if (const std::string* t = std::get_if<std::string>(&it->second)) return {*t};
  wrong_type(key, "a list of texts");
}

void options::check_known(const std::string& what, const std::vector<std::string>& known) const {
  for (const auto& kv : values_) {
    if (std::find(known.begin(), known.end(), kv.first) == known.end()) {
      throw invalid_input(what + ": unknown option '" + kv.first + "'" +
                          detail::suggest_names(kv.first, known));
    }
  }
}

namespace {

binning_config binning_from(const options& o, const std::string& prefix, binning_config b) {
  if (o.has(prefix + "method")) b.method = parse_bin_method(o.text(prefix + "method", ""));
  if (o.has(prefix + "bins")) b.bins = static_cast<int>(o.number(prefix + "bins", 5));
  if (o.has(prefix + "percentiles")) {
    b.method = bin_method::percentiles;
    b.percentiles = o.numbers(prefix + "percentiles");
  }
  if (o.has(prefix + "cuts")) {
    b.method = bin_method::fixed;
    b.cuts = o.numbers(prefix + "cuts");
  }
  if (o.has(prefix + "closed")) b.closed = parse_closure(o.text(prefix + "closed", "right"));
  return b;
}

struct registry {
  std::mutex lock;
  std::map<std::string, std::pair<strategy_factory, model_loader>> entries;

  registry() {
    entries["rfm"] = {
        [](const options& o) {
          std::vector<std::string> known = {"preset", "segments"};
          for (const char* m : {"recency", "frequency", "monetary"}) {
            for (const char* k : {"column", "method", "bins", "percentiles", "cuts", "closed"}) {
              known.push_back(std::string(m) + "_" + k);
            }
          }
          o.check_known("tierkit rfm strategy", known);
          rfm_config c = rfm_config::preset(o.text("preset", "default"));
          c.recency_column = o.text("recency_column", c.recency_column);
          c.frequency_column = o.text("frequency_column", c.frequency_column);
          c.monetary_column = o.text("monetary_column", c.monetary_column);
          c.recency = binning_from(o, "recency_", c.recency);
          c.frequency = binning_from(o, "frequency_", c.frequency);
          c.monetary = binning_from(o, "monetary_", c.monetary);
          if (o.has("segments")) c.segments = segment_table::preset(o.text("segments", ""));
          return std::unique_ptr<strategy>(std::make_unique<rfm_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(std::make_unique<rfm_model>(rfm_model_from_bytes(bytes)));
        }};
    entries["abc"] = {
        [](const options& o) {
          o.check_known("tierkit abc strategy",
                        {"column", "mode", "shares", "labels", "nonpositive", "nonpositive_label"});
          abc_config c;
          c.column = o.text("column", c.column);
          if (o.has("mode")) c.mode = parse_abc_mode(o.text("mode", "value"));
          c.shares = o.numbers("shares");
          if (o.has("nonpositive")) c.nonpositive = parse_nonpositive_policy(o.text("nonpositive", ""));
          c.nonpositive_label = o.text("nonpositive_label", c.nonpositive_label);
          return std::unique_ptr<strategy>(std::make_unique<abc_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(std::make_unique<abc_model>(abc_model_from_bytes(bytes)));
        }};
    entries["lifecycle"] = {
        [](const options& o) {
          o.check_known("tierkit lifecycle strategy",
                        {"new_days", "dormant_days", "churn_days", "relative_to_gap",
                         "dormant_gaps", "churn_gaps", "min_relative_days", "by_p_alive",
                         "dormant_p_alive", "churn_p_alive"});
          lifecycle_config c;
          c.new_days = static_cast<std::int32_t>(o.number("new_days", c.new_days));
          c.dormant_days = static_cast<std::int32_t>(o.number("dormant_days", c.dormant_days));
          c.churn_days = static_cast<std::int32_t>(o.number("churn_days", c.churn_days));
          c.relative_to_gap = o.flag("relative_to_gap", c.relative_to_gap);
          c.dormant_gaps = o.number("dormant_gaps", c.dormant_gaps);
          c.churn_gaps = o.number("churn_gaps", c.churn_gaps);
          c.min_relative_days =
              static_cast<std::int32_t>(o.number("min_relative_days", c.min_relative_days));
          c.by_p_alive = o.flag("by_p_alive", c.by_p_alive);
          c.dormant_p_alive = o.number("dormant_p_alive", c.dormant_p_alive);
          c.churn_p_alive = o.number("churn_p_alive", c.churn_p_alive);
          return std::unique_ptr<strategy>(std::make_unique<lifecycle_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(
              std::make_unique<lifecycle_model>(lifecycle_model_from_bytes(bytes)));
        }};
    entries["value_potential"] = {
        [](const options& o) {
          o.check_known("tierkit value_potential strategy",
                        {"preset", "value_column", "potential_column", "value_method", "value_bins",
                         "value_percentiles", "value_cuts", "value_closed", "potential_method",
                         "potential_bins", "potential_percentiles", "potential_cuts",
                         "potential_closed"});
          value_potential_config c = value_potential_config::preset(o.text("preset", "2x2"));
          c.value_column = o.text("value_column", c.value_column);
          c.potential_column = o.text("potential_column", c.potential_column);
          c.value = binning_from(o, "value_", c.value);
          c.potential = binning_from(o, "potential_", c.potential);
          return std::unique_ptr<strategy>(std::make_unique<value_potential_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(
              std::make_unique<value_potential_model>(value_potential_model_from_bytes(bytes)));
        }};
    entries["clv"] = {
        [](const options& o) {
          o.check_known("tierkit clv strategy", {"model", "unit_days", "horizon", "steps", "discount_rate",
                                                 "l2_penalty", "value_l2_penalty"});
          clv_config c;
          c.model = o.text("model", c.model);
          c.unit_days = o.number("unit_days", c.unit_days);
          c.horizon = o.number("horizon", c.horizon);
          c.steps = static_cast<int>(o.number("steps", c.steps));
          c.discount_rate = o.number("discount_rate", c.discount_rate);
          c.purchases.l2_penalty = o.number("l2_penalty", 0.0);
          c.value.l2_penalty = o.number("value_l2_penalty", 0.0);
          return std::unique_ptr<strategy>(std::make_unique<clv_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(std::make_unique<clv_model>(clv_model_from_bytes(bytes)));
        }};
    entries["kmeans"] = {
        [](const options& o) {
          o.check_known("tierkit kmeans strategy", {"columns", "k", "transform", "restarts", "seed", "max_iterations",
                                                    "names", "output", "silhouette_sample", "initial_centres"});
          kmeans_config c;
          if (o.has("columns")) c.columns = o.texts("columns");
          c.k = static_cast<int>(o.number("k", c.k));
          c.transform = o.text("transform", c.transform);
          c.restarts = static_cast<int>(o.number("restarts", c.restarts));
          c.seed = static_cast<std::uint64_t>(o.number("seed", 0));
          c.max_iterations = static_cast<int>(o.number("max_iterations", c.max_iterations));
          if (o.has("names")) c.names = o.texts("names");
          c.output = o.text("output", c.output);
          c.silhouette_sample = static_cast<std::int64_t>(o.number("silhouette_sample", 5000));
          c.initial_centres = o.numbers("initial_centres");
          return std::unique_ptr<strategy>(std::make_unique<kmeans_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(std::make_unique<kmeans_model>(kmeans_model_from_bytes(bytes)));
        }};
    // Grouped models load through the registry (load_model); a grouped strategy wraps an
    // inner strategy object, so it is built with grouped_strategy, not by name.
    entries["cpp_grouped"] = {
        [](const options&) -> std::unique_ptr<strategy> {
          throw invalid_input("tierkit: a grouped strategy wraps another strategy: construct "
                              "tierkit::grouped_strategy(make_strategy(...), config)");
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(std::make_unique<grouped_model>(grouped_model::from_bytes(bytes)));
        }};
    entries["asset_bands"] = {
        [](const options& o) {
          o.check_known("tierkit asset_bands strategy", {"preset", "balance_column"});
          if (o.text("preset", "chinese_retail") != "chinese_retail") {
            throw invalid_input("tierkit asset_bands strategy: preset must be 'chinese_retail'");
          }
          asset_band_config c = asset_band_config::chinese_retail();
          c.balance_column = o.text("balance_column", c.balance_column);
          return std::unique_ptr<strategy>(std::make_unique<asset_band_strategy>(c));
        },
        [](const std::string& bytes) {
          return std::unique_ptr<model>(std::make_unique<asset_band_model>(asset_band_model_from_bytes(bytes)));
        }};
  }
};

registry& the_registry() {
  static registry r;
  return r;
}

}  // namespace

void register_strategy(const std::string& kind, strategy_factory make, model_loader load) {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.lock);
  r.entries[kind] = {std::move(make), std::move(load)};
}

std::vector<std::string> registered_strategies() {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.lock);
  std::vector<std::string> out;
  for (const auto& kv : r.entries) out.push_back(kv.first);
  return out;
}

std::unique_ptr<strategy> make_strategy(const std::string& kind, const options& settings) {
  strategy_factory make;
  {
    registry& r = the_registry();
    std::lock_guard<std::mutex> g(r.lock);
    auto it = r.entries.find(kind);
    if (it == r.entries.end()) {
      std::vector<std::string> names;
      for (const auto& kv : r.entries) names.push_back(kv.first);
      throw invalid_input("tierkit: no strategy named '" + kind + "'" +
                          detail::suggest_names(kind, names));
    }
    make = it->second.first;
  }
  return make(settings);
}

std::unique_ptr<model> load_model(const std::string& bytes) {
  const std::string kind = envelope_kind(bytes);
  model_loader load;
  {
    registry& r = the_registry();
    std::lock_guard<std::mutex> g(r.lock);
    auto it = r.entries.find(kind);
    if (it == r.entries.end()) {
      throw format_error("tierkit.load_model: the bytes hold a model of kind '" + kind +
                         "', which is not registered here");
    }
    load = it->second.second;
  }
  return load(bytes);
}

}  // namespace tierkit
