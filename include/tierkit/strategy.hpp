#pragma once
// The strategy interface: a strategy is a configuration that fits a frozen model to a
// metric table; the model applies to any metric table with the columns it needs (this
// month's customers, next month's, products) and returns per-row output columns.
//
//   std::unique_ptr<model> m = make_strategy("rfm", options)->fit(metrics);
//   score_table scores = m->apply(next_month);
//
// Built-in strategies register themselves by name (rfm, abc, lifecycle, value_potential,
// asset_bands, clv, kmeans); applications add their own with register_strategy. Models also describe themselves as a tidy table (summary()) and
// save to bytes (serialization.hpp loads any registered kind back).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "tierkit/metric_table.hpp"

namespace tierkit {

// One output column: integers or numbers with a validity mask, or labels (codes into a
// list of label texts, -1 for null). Label codes are 32-bit (`codes`) or 8-bit
// (`narrow_codes`, which the asset bands write when their label lists have at most 128
// labels: a quarter of the new memory, which had cost as much to touch as the banding);
// exactly one of the two holds a label column (add_labels / add_narrow_labels see to it).
// Read codes with code(row), whichever holds them.
struct score_column {
  enum class kind : std::uint8_t { integer, number, label };
  std::string name;
  kind type = kind::integer;
  std::vector<std::int64_t> integers;
  std::vector<double> numbers;
  std::vector<std::int32_t> codes;
  std::vector<std::int8_t> narrow_codes;
  std::vector<std::string> labels;
  std::vector<std::uint8_t> valid;  // integer and number columns: 1 = present; empty = all

  std::size_t size() const noexcept {
    return type == kind::integer ? integers.size()
                                 : type == kind::number ? numbers.size() : codes.size() + narrow_codes.size();
  }
  std::int32_t code(std::size_t row) const noexcept { return narrow_codes.empty() ? codes[row] : narrow_codes[row]; }
  bool is_valid(std::size_t row) const noexcept {
    if (type == kind::label) return code(row) >= 0;
    return valid.empty() || valid[row] != 0;
  }
};

struct score_table {
  std::vector<score_column> columns;

  std::size_t rows() const noexcept { return columns.empty() ? 0 : columns.front().size(); }
  // Throws schema_error with the closest names.
  const score_column& column(const std::string& name) const;

  score_column& add_integers(std::string name, std::vector<std::int64_t> values,
                             std::vector<std::uint8_t> valid = {});
  score_column& add_numbers(std::string name, std::vector<double> values,
                            std::vector<std::uint8_t> valid = {});
  score_column& add_labels(std::string name, std::vector<std::int32_t> codes,
                           std::vector<std::string> labels);
  // 8-bit codes (into `narrow_codes`): at most 128 labels (throws invalid_input beyond).
  score_column& add_narrow_labels(std::string name, std::vector<std::int8_t> codes,
                                  std::vector<std::string> labels);
};

class model {
 public:
  virtual ~model() = default;
  virtual std::string kind() const = 0;
  // Per-row outputs, aligned with the rows of `metrics`.
  virtual score_table apply(const metric_table& metrics) const = 0;
  // The fitted model as a tidy table (cut points, thresholds, counts at fit time).
  virtual score_table summary() const = 0;
  virtual std::unique_ptr<model> clone() const = 0;
  // The model in tierkit's envelope (see serialization.hpp).
  virtual std::string to_bytes() const = 0;
};

class strategy {
 public:
  virtual ~strategy() = default;
  virtual std::string kind() const = 0;
  virtual std::unique_ptr<model> fit(const metric_table& metrics) const = 0;
};

// Settings for configuration-driven use: numbers, texts, booleans and lists of them.
using option_value =
    std::variant<bool, double, std::string, std::vector<double>, std::vector<std::string>>;

class options {
 public:
  options() = default;
  options(std::initializer_list<std::pair<const std::string, option_value>> init) : values_(init) {}

  void set(const std::string& key, option_value v) { values_[key] = std::move(v); }
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  // Typed getters: the default when absent; invalid_input naming the key on a wrong type.
  double number(const std::string& key, double fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  std::vector<double> numbers(const std::string& key) const;
  // A list of texts (a single text reads as a list of one).
  std::vector<std::string> texts(const std::string& key) const;
  // Throws invalid_input naming every key not in `known` (typos must not pass silently).
  void check_known(const std::string& what, const std::vector<std::string>& known) const;

 private:
  std::map<std::string, option_value> values_;
};

using strategy_factory = std::function<std::unique_ptr<strategy>(const options&)>;
using model_loader = std::function<std::unique_ptr<model>(const std::string& bytes)>;

// Registers a strategy (and the loader of its models) under `kind`; replaces an existing one.
void register_strategy(const std::string& kind, strategy_factory make, model_loader load);
// Throws invalid_input naming the known kinds when `kind` is not registered.
std::unique_ptr<strategy> make_strategy(const std::string& kind, const options& settings = {});
std::vector<std::string> registered_strategies();
// Loads a model of any registered kind from tierkit's envelope (format_error on bad bytes).
std::unique_ptr<model> load_model(const std::string& bytes);

}  // namespace tierkit
