#include "tierkit/grouped.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <unordered_map>

#include "detail/byte_io.hpp"
#include "detail/customer_log.hpp"  // min_rows_per_thread
#include "detail/huge_pages.hpp"
#include "detail/worker_pool.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "tierkit/serialization.hpp"

namespace tierkit {

const char* group_policy_name(group_policy p) noexcept {
  return p == group_policy::overall ? "overall" : "error";
}

group_policy parse_group_policy(const std::string& text, const std::string& what) {
  if (text == "overall") return group_policy::overall;
  if (text == "error") return group_policy::error;
  throw invalid_input(what + ": the policy must be 'overall' or 'error'; got '" + text + "'");
}

void grouped_config::check(const std::string& what) const {
  if (min_size < 1) throw invalid_input(what + ": min_size must be a whole number >= 1; got 0");
}

group_column group_column::from_labels(const std::vector<std::string>& labels,
                                       const std::vector<std::uint8_t>& valid) {
  if (!valid.empty() && valid.size() != labels.size()) {
    throw invalid_input("tierkit.group_column.from_labels: valid has " +
                        detail::rows_text(static_cast<std::int64_t>(valid.size())) + ", the labels " +
                        detail::format_count(static_cast<std::int64_t>(labels.size())));
  }
  group_column out;
  std::unordered_map<std::string, std::int64_t> seen;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!valid.empty() && valid[i] == 0) continue;
    seen.emplace(labels[i], 0);
  }
  out.names.reserve(seen.size());
  for (const auto& kv : seen) out.names.push_back(kv.first);
  std::sort(out.names.begin(), out.names.end());
  for (std::size_t i = 0; i < out.names.size(); ++i) seen[out.names[i]] = static_cast<std::int64_t>(i);
  out.codes.resize(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out.codes[i] = !valid.empty() && valid[i] == 0 ? -1 : seen[labels[i]];
  }
  return out;
}

void group_column::check(const std::string& what) const {
  const auto n = static_cast<std::int64_t>(names.size());
  std::int64_t bad = 0;
  std::int64_t first = -1;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] < -1 || codes[i] >= n) {
      if (bad++ == 0) first = static_cast<std::int64_t>(i);
    }
  }
  if (bad) {
    throw invalid_input(what + ": the group codes have " + detail::rows_text(bad) + " outside [-1, " +
                        std::to_string(n) + ") (first: row " + std::to_string(first) + ")");
  }
}

namespace {

// Rows ordered by bucket (stable: a counting sort); starts[b]..starts[b + 1] are bucket b's.
struct bucketed {
  std::vector<std::size_t> order;
  std::vector<std::size_t> starts;
};

bucketed bucket_rows(const std::vector<std::int64_t>& bucket_of, std::size_t buckets) {
  bucketed out;
  out.starts.assign(buckets + 1, 0);
  for (const std::int64_t b : bucket_of) {
    if (b >= 0) ++out.starts[static_cast<std::size_t>(b) + 1];
  }
  for (std::size_t b = 0; b < buckets; ++b) out.starts[b + 1] += out.starts[b];
  std::vector<std::size_t> next(out.starts.begin(), out.starts.end() - 1);
  out.order.resize(out.starts.back());
  for (std::size_t i = 0; i < bucket_of.size(); ++i) {
    if (bucket_of[i] >= 0) out.order[next[static_cast<std::size_t>(bucket_of[i])]++] = i;
  }
  return out;
}

void check_rows(const metric_table& metrics, std::size_t rows, const std::string& what, const char* of) {
  if (rows != metrics.rows()) {
    throw invalid_input(what + ": " + of + " has " + detail::rows_text(static_cast<std::int64_t>(rows)) +
                        ", the metric table " + detail::format_count(static_cast<std::int64_t>(metrics.rows())));
  }
}

// f(i) for every i in [0, n), the indices shared out among the usable CPUs (groups are
// independent: each fit or apply reads its own slice). Whatever the threads, the error of
// the lowest failing index is the one rethrown, so a failure names the same group each run.
void for_each_index(std::size_t n, const std::function<void(std::size_t)>& f) {
  const auto threads = static_cast<unsigned>(std::min<std::size_t>(detail::usable_cpus(), n));
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(n);
  detail::run_pooled(threads, [&](unsigned) {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        f(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  });
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

const char* kind_name(score_column::kind k) {
  return k == score_column::kind::integer ? "integer" : k == score_column::kind::number ? "number" : "label";
}

}  // namespace

namespace {

// One model's scores for the rows of one bucket. `whole` false: row j of `table` is the
// bucket's j-th row (rows.order[starts[bucket] + j]); true: `table` holds every row of the
// metric table and row i is read for row i (the fallback's scores computed once over all
// rows for the overall_ columns, so that the fallback model is not applied a second time).
struct scored_part {
  std::size_t bucket;
  const score_table* table;
  bool whole;
};

// Columns of `parts` in the rows' order: each part's rows written where they came from.
// Every part must give the same columns with the same kinds (schema_error naming the first
// that differs); label lists merged in part order (each new label appended once). Columns
// are independent, so they are written on the usable CPUs when the rows are many.
score_table merge_parts(const std::vector<scored_part>& parts, const bucketed& rows, std::size_t n,
                        const std::string& what, const std::function<std::string(std::size_t)>& bucket_name) {
  const score_table& first = *parts.front().table;
  for (const scored_part& part : parts) {
    const score_table& t = *part.table;
    bool same = t.columns.size() == first.columns.size();
    for (std::size_t c = 0; same && c < first.columns.size(); ++c) {
      same = t.columns[c].name == first.columns[c].name && t.columns[c].type == first.columns[c].type;
    }
    if (!same) {
      std::string a, z;
      for (const score_column& c : first.columns) a += (a.empty() ? "" : ", ") + c.name + " " + kind_name(c.type);
      for (const score_column& c : t.columns) z += (z.empty() ? "" : ", ") + c.name + " " + kind_name(c.type);
      throw schema_error(what + ": the models give different columns (" + a + " against " + z + " from " +
                         bucket_name(part.bucket) + ")");
    }
  }
  score_table out;
  out.columns.resize(first.columns.size());
  const auto merge_column = [&](std::size_t c) {
    const score_column& head = first.columns[c];
    score_column& col = out.columns[c];
    col.name = head.name;
    col.type = head.type;
    if (head.type == score_column::kind::label) {
      std::unordered_map<std::string, std::int32_t> index;
      bool narrow = true;
      for (const scored_part& part : parts) {
        const score_column& pc = part.table->columns[c];
        narrow = narrow && (!pc.narrow_codes.empty() || pc.codes.empty());
        for (const std::string& l : pc.labels) {
          if (index.emplace(l, static_cast<std::int32_t>(col.labels.size())).second) col.labels.push_back(l);
        }
      }
      narrow = narrow && col.labels.size() <= 128;
      std::vector<std::int32_t> codes = detail::new_column<std::int32_t>(n, -1);
      for (const scored_part& part : parts) {
        const score_column& pc = part.table->columns[c];
        std::vector<std::int32_t> remap(pc.labels.size());
        for (std::size_t l = 0; l < pc.labels.size(); ++l) remap[l] = index[pc.labels[l]];
        const std::size_t start = rows.starts[part.bucket], count = rows.starts[part.bucket + 1] - start;
        for (std::size_t j = 0; j < count; ++j) {
          const std::size_t row = rows.order[start + j];
          const std::int32_t code = pc.code(part.whole ? row : j);
          codes[row] = code < 0 ? -1 : remap[static_cast<std::size_t>(code)];
        }
      }
      if (narrow) {
        col.narrow_codes.assign(codes.begin(), codes.end());
      } else {
        col.codes = std::move(codes);
      }
      return;
    }
    bool any_mask = false;
    for (const scored_part& part : parts) any_mask = any_mask || !part.table->columns[c].valid.empty();
    if (any_mask) col.valid = detail::new_column<std::uint8_t>(n, 1);
    const bool integer = head.type == score_column::kind::integer;
    if (integer) {
      col.integers = detail::new_column<std::int64_t>(n);
    } else {
      col.numbers = detail::new_column<double>(n);
    }
    for (const scored_part& part : parts) {
      const score_column& pc = part.table->columns[c];
      const std::size_t start = rows.starts[part.bucket], count = rows.starts[part.bucket + 1] - start;
      const std::size_t* at = rows.order.data() + start;
      // The loops are split by kind and mask so that each is a plain gather/scatter.
      if (integer) {
        const std::int64_t* from = pc.integers.data();
        std::int64_t* to = col.integers.data();
        if (part.whole) {
          for (std::size_t j = 0; j < count; ++j) to[at[j]] = from[at[j]];
        } else {
          for (std::size_t j = 0; j < count; ++j) to[at[j]] = from[j];
        }
      } else {
        const double* from = pc.numbers.data();
        double* to = col.numbers.data();
        if (part.whole) {
          for (std::size_t j = 0; j < count; ++j) to[at[j]] = from[at[j]];
        } else {
          for (std::size_t j = 0; j < count; ++j) to[at[j]] = from[j];
        }
      }
      if (!pc.valid.empty()) {
        const std::uint8_t* from = pc.valid.data();
        std::uint8_t* to = col.valid.data();
        if (part.whole) {
          for (std::size_t j = 0; j < count; ++j) to[at[j]] = from[at[j]];
        } else {
          for (std::size_t j = 0; j < count; ++j) to[at[j]] = from[j];
        }
      }
    }
  };
  if (n >= detail::min_rows_per_thread) {
    for_each_index(out.columns.size(), merge_column);
  } else {
    for (std::size_t c = 0; c < out.columns.size(); ++c) merge_column(c);
  }
  return out;
}

// Throws invalid_input unless `scores` (when given) has `n` rows: the fallback's scores of
// every row.
void check_whole(const score_table* scores, std::size_t n, const std::string& what) {
  if (scores != nullptr && scores->rows() != n) {
    throw invalid_input(what + ": the fallback's scores have " +
                        detail::rows_text(static_cast<std::int64_t>(scores->rows())) + ", the metric table " +
                        detail::format_count(static_cast<std::int64_t>(n)));
  }
}

std::string model_bucket_name(std::size_t b) {
  return b == 0 ? std::string("the fallback") : "model " + std::to_string(b - 1);
}

}  // namespace

score_table apply_by_row(const metric_table& metrics, const std::vector<const model*>& models,
                         const std::vector<std::int32_t>& model_of, const model* fallback,
                         const score_table* fallback_scores) {
  const std::string what = "tierkit.apply_by_row";
  check_rows(metrics, model_of.size(), what, "model_of");
  check_whole(fallback_scores, model_of.size(), what);
  // Bucket 0 is the fallback, bucket k + 1 models[k].
  std::vector<std::int64_t> bucket_of(model_of.size());
  const auto n_models = static_cast<std::int64_t>(models.size());
  for (std::size_t i = 0; i < model_of.size(); ++i) {
    const std::int64_t m = model_of[i];
    if (m < -1 || m >= n_models) {
      throw invalid_input(what + ": row " + std::to_string(i) + " names model " + std::to_string(m) +
                          " of " + std::to_string(n_models));
    }
    bucket_of[i] = m + 1;
  }
  const bucketed rows = bucket_rows(bucket_of, models.size() + 1);
  const auto model_of_bucket = [&](std::size_t b) { return b == 0 ? fallback : models[b - 1]; };
  for (std::size_t b = 0; b <= models.size(); ++b) {
    if (rows.starts[b + 1] > rows.starts[b] && model_of_bucket(b) == nullptr &&
        !(b == 0 && fallback_scores != nullptr)) {
      const std::string rows_named = detail::rows_text(static_cast<std::int64_t>(rows.starts[b + 1] - rows.starts[b]));
      throw invalid_input(what + ": " + (b == 0 ? "model_of is -1 on " + rows_named + " but no fallback model is given"
                                                : "model " + std::to_string(b - 1) + " is null but scores " + rows_named));
    }
  }
  // One copy of the rows in bucket order (only when some model is applied to a slice);
  // every bucket then reads a borrowed slice.
  const bool in_order = std::is_sorted(bucket_of.begin(), bucket_of.end());
  const bool only_whole = fallback_scores != nullptr && rows.starts[1] == rows.starts.back();
  const metric_table sorted = in_order || only_whole ? metrics : metrics.take(rows.order);
  std::vector<score_table> scored(models.size() + 1);
  for_each_index(models.size() + 1, [&](std::size_t b) {
    const std::size_t start = rows.starts[b], count = rows.starts[b + 1] - start;
    if (count > 0 && !(b == 0 && fallback_scores != nullptr)) {
      scored[b] = model_of_bucket(b)->apply(sorted.slice(start, count));
    }
  });
  std::vector<scored_part> parts;  // in bucket order
  for (std::size_t b = 0; b <= models.size(); ++b) {
    if (rows.starts[b + 1] == rows.starts[b]) continue;
    const bool whole = b == 0 && fallback_scores != nullptr;
    parts.push_back({b, whole ? fallback_scores : &scored[b], whole});
  }
  if (parts.empty()) {
    // No rows: the columns of whichever model there is, on the empty table.
    if (fallback_scores != nullptr) return *fallback_scores;
    const model* any = fallback;
    for (std::size_t k = 0; any == nullptr && k < models.size(); ++k) any = models[k];
    if (any == nullptr) throw invalid_input(what + ": no model given");
    return any->apply(metrics);
  }
  return merge_parts(parts, rows, model_of.size(), what, model_bucket_name);
}

grouped_fit_scores fit_apply_by_group(const strategy& inner, const metric_table& metrics,
                                      const std::vector<std::int64_t>& group_of, std::size_t groups,
                                      std::size_t min_size, const model* fallback, bool fallback_all) {
  const std::string what = "tierkit.fit_apply_by_group";
  check_rows(metrics, group_of.size(), what, "group_of");
  group_column check{std::vector<std::string>(groups), group_of};
  check.check(what);
  std::vector<std::size_t> count(groups, 0);
  for (const std::int64_t g : group_of) {
    if (g >= 0) ++count[static_cast<std::size_t>(g)];
  }
  // Bucket 0: the rows the fallback scores (no group, or a group under min_size); bucket
  // g + 1: group g's rows. One ordering serves both the fits and the applies.
  std::vector<std::int64_t> bucket_of(group_of.size());
  for (std::size_t i = 0; i < group_of.size(); ++i) {
    const std::int64_t g = group_of[i];
    bucket_of[i] = g < 0 || count[static_cast<std::size_t>(g)] < min_size ? 0 : g + 1;
  }
  const bucketed rows = bucket_rows(bucket_of, groups + 1);
  const bool in_order = std::is_sorted(bucket_of.begin(), bucket_of.end());
  const metric_table sorted = in_order ? metrics : metrics.take(rows.order);
  grouped_fit_scores out;
  out.models.resize(groups);
  std::vector<score_table> scored(groups + 1);
  // Task 0 fits the overall model (when none is given) while the other threads take the
  // groups: its fit leaves CPUs idle between its parts, which the groups fill. Task g + 1
  // fits and applies group g. An error is that of the lowest failing task (the overall
  // fit's first, as when it is fitted before the groups).
  for_each_index(groups + 1, [&](std::size_t k) {
    if (k == 0) {
      if (fallback == nullptr) out.overall = inner.fit(metrics);
      return;
    }
    const std::size_t start = rows.starts[k], n = rows.starts[k + 1] - start;
    if (n == 0) return;
    const metric_table part = sorted.slice(start, n);
    out.models[k - 1] = inner.fit(part);
    scored[k] = out.models[k - 1]->apply(part);
  });
  const model& back = fallback != nullptr ? *fallback : *out.overall;
  if (fallback_all) out.fallback_scores = back.apply(metrics);
  const score_table* whole = fallback_all ? &out.fallback_scores : nullptr;
  if (rows.starts[1] > 0 && whole == nullptr) scored[0] = back.apply(sorted.slice(0, rows.starts[1]));
  std::vector<scored_part> parts;
  for (std::size_t b = 0; b <= groups; ++b) {
    if (rows.starts[b + 1] == rows.starts[b]) continue;
    const bool from_whole = b == 0 && whole != nullptr;
    parts.push_back({b, from_whole ? whole : &scored[b], from_whole});
  }
  if (parts.empty()) {
    out.scores = whole != nullptr ? *whole : back.apply(metrics);
  } else {
    out.scores = merge_parts(parts, rows, group_of.size(), what, [](std::size_t b) {
      return b == 0 ? std::string("the fallback") : "group " + std::to_string(b - 1) + "'s model";
    });
  }
  return out;
}

grouped_model::grouped_model(grouped_config config, std::vector<std::string> names,
                             std::vector<std::size_t> sizes, std::vector<std::unique_ptr<model>> models,
                             std::unique_ptr<model> overall, std::size_t null_rows)
    : config_(config), names_(std::move(names)), sizes_(std::move(sizes)), models_(std::move(models)),
      overall_(std::move(overall)), null_rows_(null_rows) {
  config_.check("tierkit.grouped_model");
  if (names_.size() != sizes_.size() || names_.size() != models_.size()) {
    throw invalid_input("tierkit.grouped_model: " + std::to_string(names_.size()) + " groups, " +
                        std::to_string(sizes_.size()) + " sizes and " + std::to_string(models_.size()) +
                        " models; give one of each per group");
  }
  if (!overall_) throw invalid_input("tierkit.grouped_model: the overall model is missing");
}

grouped_model::grouped_model(const grouped_model& o)
    : config_(o.config_), names_(o.names_), sizes_(o.sizes_), overall_(o.overall_->clone()),
      null_rows_(o.null_rows_) {
  models_.reserve(o.models_.size());
  for (const auto& m : o.models_) models_.push_back(m ? m->clone() : nullptr);
}

grouped_model& grouped_model::operator=(const grouped_model& o) {
  if (this != &o) *this = grouped_model(o);
  return *this;
}

std::vector<std::pair<std::string, std::size_t>> grouped_model::small_groups() const {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (!models_[i]) out.emplace_back(names_[i], sizes_[i]);
  }
  return out;
}

score_table grouped_model::apply(const metric_table& /*metrics*/) const {
  throw invalid_input("tierkit.grouped_model.apply: a grouped model needs each row's group; "
                      "call apply(metrics, groups)");
}

score_table grouped_model::apply(const metric_table& metrics, const group_column& groups) const {
  const std::string what = "tierkit.grouped_model.apply";
  groups.check(what);
  check_rows(metrics, groups.rows(), what, "the group column");
  std::unordered_map<std::string, std::int32_t> index;
  for (std::size_t i = 0; i < names_.size(); ++i) index.emplace(names_[i], static_cast<std::int32_t>(i));
  std::vector<std::int32_t> model_of_name(groups.names.size(), -1);  // -1: unseen
  for (std::size_t i = 0; i < groups.names.size(); ++i) {
    const auto it = index.find(groups.names[i]);
    if (it != index.end()) model_of_name[i] = it->second;
  }
  const std::size_t n = groups.rows();
  std::vector<std::int32_t> model_of = detail::new_column<std::int32_t>(n, -1);
  std::vector<std::int32_t> reason = detail::new_column<std::int32_t>(n, 0);
  std::int64_t nulls = 0, unseen = 0;
  std::int64_t first_unseen = -1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t g = groups.codes[i];
    if (g < 0) {
      reason[i] = static_cast<std::int32_t>(group_reason::null);
      ++nulls;
      continue;
    }
    const std::int32_t m = model_of_name[static_cast<std::size_t>(g)];
    if (m < 0) {
      reason[i] = static_cast<std::int32_t>(group_reason::unseen);
      if (unseen++ == 0) first_unseen = g;
    } else if (!models_[static_cast<std::size_t>(m)]) {
      reason[i] = static_cast<std::int32_t>(group_reason::small);
    } else {
      model_of[i] = m;
    }
  }
  if (nulls && config_.nulls == group_policy::error) {
    throw invalid_input(what + ": the group column has " + detail::rows_text(nulls) + " without a group (of " +
                        detail::format_count(static_cast<std::int64_t>(n)) +
                        "); give every row a group or fit with nulls = overall");
  }
  if (unseen && config_.unseen == group_policy::error) {
    throw invalid_input(what + ": groups the model was not fitted on hold " + detail::rows_text(unseen) +
                        " (first: '" + groups.names[static_cast<std::size_t>(first_unseen)] +
                        "'); fit with unseen = overall to score them with the overall model");
  }
  std::vector<const model*> ptrs;
  ptrs.reserve(models_.size());
  for (const auto& m : models_) ptrs.push_back(m.get());
  // With overall_ columns the overall model scores every row once, and the rows falling
  // back take their scores from that.
  score_table overall_scores;
  if (config_.overall_columns) overall_scores = overall_->apply(metrics);
  score_table out =
      apply_by_row(metrics, ptrs, model_of, overall_.get(), config_.overall_columns ? &overall_scores : nullptr);
  if (config_.overall_columns) {
    for (score_column& c : overall_scores.columns) {
      c.name = "overall_" + c.name;
      out.columns.push_back(std::move(c));
    }
  }
  out.add_labels("group_model", std::move(reason), {"group", "small", "unseen", "null"});
  return out;
}

score_table grouped_model::summary() const {
  score_table out;
  std::vector<std::int32_t> group(names_.size());
  std::vector<std::int64_t> customers(names_.size());
  std::vector<std::int32_t> which(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i) {
    group[i] = static_cast<std::int32_t>(i);
    customers[i] = static_cast<std::int64_t>(sizes_[i]);
    which[i] = models_[i] ? 0 : 1;
  }
  out.add_labels("group", std::move(group), names_);
  out.add_integers("customers", std::move(customers));
  out.add_labels("model", std::move(which), {"group", "overall (small)"});
  return out;
}

namespace {
constexpr std::uint32_t grouped_format = 1;
constexpr const char* grouped_kind = "cpp_grouped";
}  // namespace

std::string grouped_model::to_bytes() const {
  detail::byte_writer w;
  w.put<std::uint32_t>(grouped_format);
  w.put<std::uint64_t>(config_.min_size);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(config_.unseen));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(config_.small));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(config_.nulls));
  w.put<std::uint8_t>(config_.overall_columns ? 1 : 0);
  w.put<std::uint64_t>(null_rows_);
  w.put_text(overall_->to_bytes());
  w.put<std::uint64_t>(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i) {
    w.put_text(names_[i]);
    w.put<std::uint64_t>(sizes_[i]);
    w.put<std::uint8_t>(models_[i] ? 1 : 0);
    if (models_[i]) w.put_text(models_[i]->to_bytes());
  }
  return wrap_envelope(grouped_kind, w.bytes());
}

grouped_model grouped_model::from_bytes(const std::string& bytes) {
  const std::string payload = unwrap_envelope(bytes, grouped_kind);
  detail::byte_reader r(payload, "tierkit.grouped_model.from_bytes");
  if (r.get<std::uint32_t>() != grouped_format) r.fail("a format this build does not read");
  grouped_config c;
  c.min_size = static_cast<std::size_t>(r.get<std::uint64_t>());
  const auto policy = [&r]() {
    const auto p = r.get<std::uint8_t>();
    if (p > 1) r.fail("a policy out of range");
    return static_cast<group_policy>(p);
  };
  c.unseen = policy();
  c.small = policy();
  c.nulls = policy();
  c.overall_columns = r.get<std::uint8_t>() != 0;
  if (c.min_size < 1) r.fail("min_size 0");
  const auto null_rows = static_cast<std::size_t>(r.get<std::uint64_t>());
  std::unique_ptr<model> overall = load_model(r.get_text());
  const auto groups = r.get<std::uint64_t>();
  if (groups > payload.size()) r.fail("more groups than bytes");
  std::vector<std::string> names;
  std::vector<std::size_t> sizes;
  std::vector<std::unique_ptr<model>> models;
  for (std::uint64_t i = 0; i < groups; ++i) {
    names.push_back(r.get_text());
    sizes.push_back(static_cast<std::size_t>(r.get<std::uint64_t>()));
    models.push_back(r.get<std::uint8_t>() ? load_model(r.get_text()) : nullptr);
  }
  if (!r.done()) r.fail("bytes after the last group");
  return grouped_model(c, std::move(names), std::move(sizes), std::move(models), std::move(overall), null_rows);
}

std::vector<std::unique_ptr<model>> fit_by_group(const strategy& inner, const metric_table& metrics,
                                                 const std::vector<std::int64_t>& group_of, std::size_t groups,
                                                 std::size_t min_size) {
  const std::string what = "tierkit.fit_by_group";
  check_rows(metrics, group_of.size(), what, "group_of");
  group_column check{std::vector<std::string>(groups), group_of};
  check.check(what);
  const bucketed rows = bucket_rows(group_of, groups);
  const bool in_order = rows.order.size() == group_of.size() && std::is_sorted(group_of.begin(), group_of.end());
  const metric_table sorted = in_order ? metrics : metrics.take(rows.order);
  std::vector<std::unique_ptr<model>> out(groups);
  for_each_index(groups, [&](std::size_t g) {
    const std::size_t start = rows.starts[g], count = rows.starts[g + 1] - start;
    if (count > 0 && count >= min_size) out[g] = inner.fit(sorted.slice(start, count));
  });
  return out;
}

grouped_strategy::grouped_strategy(std::shared_ptr<const strategy> inner, grouped_config config)
    : inner_(std::move(inner)), config_(config) {
  if (!inner_) throw invalid_input("tierkit.grouped_strategy: the inner strategy is missing");
  if (inner_->kind() == "grouped") {
    throw invalid_input("tierkit.grouped_strategy: a grouped strategy cannot be grouped again; "
                        "combine the group columns into one instead");
  }
  config_.check("tierkit.grouped_strategy");
}

std::unique_ptr<model> grouped_strategy::fit(const metric_table& /*metrics*/) const {
  throw invalid_input("tierkit.grouped_strategy.fit: a grouped strategy needs each row's group; "
                      "call fit_grouped(metrics, groups)");
}

grouped_model grouped_strategy::fit_grouped(const metric_table& metrics, const group_column& groups) const {
  const std::string what = "tierkit.grouped_strategy.fit";
  groups.check(what);
  check_rows(metrics, groups.rows(), what, "the group column");
  const std::int64_t nulls = std::count(groups.codes.begin(), groups.codes.end(), std::int64_t{-1});
  if (nulls && config_.nulls == group_policy::error) {
    throw invalid_input(what + ": the group column has " + detail::rows_text(nulls) + " without a group (of " +
                        detail::format_count(static_cast<std::int64_t>(groups.rows())) +
                        "); give every row a group or pass nulls = overall");
  }
  std::unique_ptr<model> overall = inner_->fit(metrics);
  std::vector<std::unique_ptr<model>> fitted =
      fit_by_group(*inner_, metrics, groups.codes, groups.names.size(), config_.min_size);
  std::vector<std::size_t> count(groups.names.size(), 0);
  for (const std::int64_t g : groups.codes) {
    if (g >= 0) ++count[static_cast<std::size_t>(g)];
  }
  std::vector<std::string> names;
  std::vector<std::size_t> sizes;
  std::vector<std::unique_ptr<model>> models;
  std::vector<std::pair<std::string, std::size_t>> small;
  for (std::size_t g = 0; g < groups.names.size(); ++g) {
    if (count[g] == 0) continue;  // a name without rows is not a group seen at fit time
    names.push_back(groups.names[g]);
    sizes.push_back(count[g]);
    if (count[g] < config_.min_size) small.emplace_back(groups.names[g], count[g]);
    models.push_back(std::move(fitted[g]));
  }
  if (!small.empty() && config_.small == group_policy::error) {
    std::string list;
    for (std::size_t i = 0; i < small.size() && i < 10; ++i) {
      list += (i ? ", '" : "'") + small[i].first + "' (" +
              detail::rows_text(static_cast<std::int64_t>(small[i].second)) + ")";
    }
    throw invalid_input(what + ": " + std::to_string(small.size()) + " groups have fewer than min_size=" +
                        std::to_string(config_.min_size) + " rows: " + list +
                        "; pass small = overall to score them with the overall model");
  }
  return grouped_model(config_, std::move(names), std::move(sizes), std::move(models), std::move(overall),
                       static_cast<std::size_t>(nulls));
}

}  // namespace tierkit
