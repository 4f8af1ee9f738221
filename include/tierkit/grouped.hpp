#pragma once
// Strategies fitted within groups (branch, store, region, channel): one frozen model per
// group plus the overall model, on top of the strategy/model interface (strategy.hpp).
//
//   group_column branch = group_column::from_labels(branch_of_each_row);
//   grouped_strategy g(make_strategy("rfm"), grouped_config{50});   // min_size 50
//   grouped_model m = g.fit_grouped(metrics, branch);
//   score_table s = m.apply(metrics, branch);   // r_score ... within the branch,
//                                               // overall_r_score ... over everyone,
//                                               // group_model: group|small|unseen|null
//
// Policies (the same as the Python package's tierkit.Grouped, python/tierkit/groups.py):
// - A group's model is fitted on exactly the rows of that group, so it equals fitting that
//   group's rows separately.
// - min_size: a group with fewer rows at fit time gets no model of its own; its rows are
//   scored by the overall model (small = overall) or the fit fails (small = error). Either
//   way the report lists the group and its size.
// - unseen: a group met at apply time that had no rows at fit time is scored by the overall
//   model (overall) or is an error (error).
// - nulls: a row without a group (code -1) is an error (error, the default, naming the row
//   count) or is scored by the overall model (overall).
// - apply returns the inner strategy's columns computed within the group under their usual
//   names, the overall model's columns prefixed "overall_" (overall_columns = false leaves
//   them out) and "group_model": "group" where the group's own model scored the row, else
//   the reason the overall model did ("small", "unseen", "null").
// - Label columns: the labels of the models that scored some row, in the order fallback
//   first, then the groups' models in group order (each new label appended once), so a group
//   whose model knows other labels still reads correctly.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tierkit/metric_table.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit {

enum class group_policy : std::uint8_t { overall, error };
// "overall" / "error"; parse throws invalid_input naming `what` and the text.
const char* group_policy_name(group_policy p) noexcept;
group_policy parse_group_policy(const std::string& text, const std::string& what);

struct grouped_config {
  std::size_t min_size = 1;  // groups with fewer rows at fit time use the overall model
  group_policy unseen = group_policy::overall;
  group_policy small = group_policy::overall;
  group_policy nulls = group_policy::error;
  bool overall_columns = true;  // apply adds the overall model's columns, prefixed overall_
  // Throws invalid_input naming `what` when min_size is 0.
  void check(const std::string& what) const;
};

// The group of each row: codes into `names`, -1 for a row without a group. Names are the
// groups' identities: a model fitted with one group_column applies to another by name.
struct group_column {
  std::vector<std::string> names;
  std::vector<std::int64_t> codes;

  std::size_t rows() const noexcept { return codes.size(); }
  // From one text per row (valid[i] == 0: no group; empty valid: all present); names are
  // the distinct texts in sorted order.
  static group_column from_labels(const std::vector<std::string>& labels,
                                  const std::vector<std::uint8_t>& valid = {});
  // Throws invalid_input naming `what` for a code outside [-1, names.size()).
  void check(const std::string& what) const;
};

// Why the overall model scored a row (or that the group's own model did).
enum class group_reason : std::int8_t { group = 0, small = 1, unseen = 2, null = 3 };

class grouped_model final : public model {
 public:
  // `models[i]` is the model of group `names[i]` (null: fewer than min_size rows at fit
  // time); `sizes[i]` its rows at fit time. Throws invalid_input when the lists differ in
  // length or `overall` is null.
  grouped_model(grouped_config config, std::vector<std::string> names, std::vector<std::size_t> sizes,
                std::vector<std::unique_ptr<model>> models, std::unique_ptr<model> overall,
                std::size_t null_rows = 0);
  grouped_model(const grouped_model& other);
  grouped_model& operator=(const grouped_model& other);
  grouped_model(grouped_model&&) noexcept = default;
  grouped_model& operator=(grouped_model&&) noexcept = default;

  std::string kind() const override { return "grouped"; }
  // A grouped model needs each row's group: this throws invalid_input pointing to
  // apply(metrics, groups).
  score_table apply(const metric_table& metrics) const override;
  // Scores aligned with the rows of `metrics` (see the policies above). Throws
  // invalid_input when `groups` has another row count, for null rows under nulls = error and
  // for unseen groups under unseen = error (naming the first).
  score_table apply(const metric_table& metrics, const group_column& groups) const;
  // Per group: group (label), customers (rows at fit time), model ("group" or
  // "overall (small)").
  score_table summary() const override;
  std::unique_ptr<model> clone() const override { return std::make_unique<grouped_model>(*this); }
  // Envelope kind "cpp_grouped" (the Python package's GroupedModel writes kind "grouped"
  // with Arrow-typed group values, which C++ does not read): the config, the groups, their
  // sizes and every model's own envelope. load_model reads it back.
  std::string to_bytes() const override;
  static grouped_model from_bytes(const std::string& bytes);

  const grouped_config& config() const noexcept { return config_; }
  const std::vector<std::string>& names() const noexcept { return names_; }
  const std::vector<std::size_t>& sizes() const noexcept { return sizes_; }
  // The model of group i (null: scored by the overall model).
  const model* group_model(std::size_t i) const { return models_.at(i).get(); }
  const model& overall() const noexcept { return *overall_; }
  // Groups below min_size at fit time, with their rows; rows without a group at fit time.
  std::vector<std::pair<std::string, std::size_t>> small_groups() const;
  std::size_t null_rows() const noexcept { return null_rows_; }

 private:
  grouped_config config_;
  std::vector<std::string> names_;
  std::vector<std::size_t> sizes_;
  std::vector<std::unique_ptr<model>> models_;
  std::unique_ptr<model> overall_;
  std::size_t null_rows_ = 0;
};

class grouped_strategy final : public strategy {
 public:
  // Throws invalid_input when `inner` is null or the config is invalid.
  grouped_strategy(std::shared_ptr<const strategy> inner, grouped_config config = {});
  std::string kind() const override { return "grouped"; }
  // Throws invalid_input pointing to fit_grouped (the rows' groups are needed).
  std::unique_ptr<model> fit(const metric_table& metrics) const override;
  // One model per group with rows (fitted on exactly its rows) and the overall model.
  // Throws invalid_input when `groups` has another row count, for null rows under
  // nulls = error, and for groups under min_size under small = error (naming them).
  grouped_model fit_grouped(const metric_table& metrics, const group_column& groups) const;
  const grouped_config& config() const noexcept { return config_; }
  const strategy& inner() const noexcept { return *inner_; }

 private:
  std::shared_ptr<const strategy> inner_;
  grouped_config config_;
};

// One model per group, fitted on exactly that group's rows: group_of[i] in [0, groups) is
// row i's group, -1 a row in none. A group with fewer than min_size rows (or none) gets a
// null model. The rows are put in group order once and every fit reads a borrowed slice;
// the groups are fitted on the usable CPUs (an error names the lowest failing group's).
// Throws invalid_input for a row count other than metrics.rows() or a group out of range.
std::vector<std::unique_ptr<model>> fit_by_group(const strategy& inner, const metric_table& metrics,
                                                 const std::vector<std::int64_t>& group_of, std::size_t groups,
                                                 std::size_t min_size);

// The scores of each row by the model it is assigned: model_of[i] is an index into
// `models`, or -1 for `fallback`. Every model is applied once, to exactly its rows (a
// borrowed slice of the rows put in model order once; the models run on the usable CPUs),
// and the results are put back in the rows' order. All models must give the same columns
// with the same kinds (schema_error otherwise); label lists are merged as the header
// describes. `fallback_scores`, when given, are the fallback's scores of every row of
// `metrics` (computed anyway for the overall_ columns): the rows falling back take theirs
// from it and the fallback is not applied again. Throws invalid_input for a row count
// other than metrics.rows() (of model_of or of fallback_scores), an index out of range, or
// a -1 without a fallback.
score_table apply_by_row(const metric_table& metrics, const std::vector<const model*>& models,
                         const std::vector<std::int32_t>& model_of, const model* fallback,
                         const score_table* fallback_scores = nullptr);

// fit_by_group and apply_by_row in one pass sharing one ordering of the rows: every group
// with at least min_size rows gets a model fitted on exactly its rows and applied to
// them (fit and apply of a group in one task, on the usable CPUs); the other rows (group
// -1 or a group under min_size) are scored by `fallback`. A null `fallback`: the overall
// model is fitted here on all rows (as one of the tasks, beside the groups) and returned
// in `overall`. fallback_all: the fallback's scores of every row are returned too
// (`fallback_scores`, for overall_ columns) and the rows falling back take theirs from them
// (it is applied once). `models` equals fit_by_group's and `scores` equals apply_by_row's
// with model_of = each row's group where it has a model, else -1. Throws as fit_by_group
// and apply_by_row do (an error of the overall fit first).
struct grouped_fit_scores {
  std::vector<std::unique_ptr<model>> models;  // per group; null under min_size rows
  score_table scores;                          // aligned with the rows of `metrics`
  std::unique_ptr<model> overall;              // fitted here when no fallback was given
  score_table fallback_scores;                 // with fallback_all: every row's, else empty
};
grouped_fit_scores fit_apply_by_group(const strategy& inner, const metric_table& metrics,
                                      const std::vector<std::int64_t>& group_of, std::size_t groups,
                                      std::size_t min_size, const model* fallback = nullptr,
                                      bool fallback_all = false);

}  // namespace tierkit
