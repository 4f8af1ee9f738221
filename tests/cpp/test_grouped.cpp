#include <doctest/doctest.h>
#include <tierkit/abc.hpp>
#include <tierkit/error.hpp>
#include <tierkit/grouped.hpp>
#include <tierkit/rfm.hpp>
#include <tierkit/serialization.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace tierkit;

namespace {

// 30 customers interleaved over three branches: "north" (every third row from 0: 10 rows),
// "south" (rows 1, 4, ...: 10 rows) and "east" (rows 2, 5, ...: 10 rows, of which the
// test below moves all but 2 to the other branches).
struct sample_rows {
  std::vector<double> r, f, m;
  std::vector<std::string> branch;
};

sample_rows sample() {
  sample_rows s;
  for (int i = 0; i < 30; ++i) {
    s.r.push_back(static_cast<double>((i * 7) % 31 + 1));
    s.f.push_back(static_cast<double>((i * 5) % 11 + 1));
    s.m.push_back(static_cast<double>((i * 13) % 29 + 1) * 10.0);
    // east keeps rows 2 and 5 only: rows 8, 11, ... go north.
    s.branch.push_back(i % 3 == 0 ? "north" : i % 3 == 1 ? "south" : (i == 2 || i == 5) ? "east" : "north");
  }
  return s;
}

metric_table table_of(const std::vector<double>& r, const std::vector<double>& f, const std::vector<double>& m) {
  metric_table t;
  t.add("recency", r);
  t.add("frequency", f);
  t.add("monetary", m);
  return t;
}

// The rows of one branch, picked by hand (not with metric_table::take).
metric_table rows_of(const sample_rows& s, const std::string& branch, std::vector<std::size_t>& where) {
  std::vector<double> r, f, m;
  for (std::size_t i = 0; i < s.branch.size(); ++i) {
    if (s.branch[i] != branch) continue;
    where.push_back(i);
    r.push_back(s.r[i]);
    f.push_back(s.f[i]);
    m.push_back(s.m[i]);
  }
  return table_of(r, f, m);
}

std::string label(const score_column& c, std::size_t row) {
  const std::int32_t k = c.code(row);
  return k < 0 ? std::string("<null>") : c.labels[static_cast<std::size_t>(k)];
}

// A model scoring every row with one fixed label (for the merging of label lists).
class constant_model final : public model {
 public:
  explicit constant_model(std::string text) : text_(std::move(text)) {}
  std::string kind() const override { return "constant"; }
  score_table apply(const metric_table& metrics) const override {
    score_table t;
    t.add_labels("tier", std::vector<std::int32_t>(metrics.rows(), 1), {"unused_" + text_, text_});
    t.add_numbers("value", std::vector<double>(metrics.rows(), 1.0),
                  std::vector<std::uint8_t>(metrics.rows(), text_ == "gold" ? 0 : 1));
    return t;
  }
  score_table summary() const override { return {}; }
  std::unique_ptr<model> clone() const override { return std::make_unique<constant_model>(*this); }
  std::string to_bytes() const override { return {}; }

 private:
  std::string text_;
};

}  // namespace

TEST_CASE("grouped RFM equals fitting each branch's rows separately; small branches use the overall model") {
  const sample_rows s = sample();
  const metric_table all = table_of(s.r, s.f, s.m);
  const group_column branch = group_column::from_labels(s.branch);
  CHECK(branch.names == std::vector<std::string>{"east", "north", "south"});
  grouped_config config;
  config.min_size = 5;
  const grouped_strategy g(std::make_shared<rfm_strategy>(rfm_config::preset("default")), config);
  const grouped_model gm = g.fit_grouped(all, branch);
  CHECK(gm.names() == std::vector<std::string>{"east", "north", "south"});
  CHECK(gm.sizes() == std::vector<std::size_t>{2, 18, 10});
  CHECK(gm.group_model(0) == nullptr);
  REQUIRE(gm.small_groups().size() == 1);
  CHECK(gm.small_groups()[0] == std::make_pair(std::string("east"), std::size_t{2}));

  const score_table out = gm.apply(all, branch);
  REQUIRE(out.rows() == 30);
  // Independent: each branch's rows picked by hand, fitted and scored on their own.
  for (const std::string b : {"north", "south"}) {
    std::vector<std::size_t> where;
    const metric_table part = rows_of(s, b, where);
    const score_table own = rfm_strategy(rfm_config::preset("default")).fit_rfm(part).apply(part);
    for (const char* col : {"r_score", "f_score", "m_score", "rfm_code"}) {
      for (std::size_t j = 0; j < where.size(); ++j) {
        CHECK(out.column(col).integers[where[j]] == own.column(col).integers[j]);
      }
    }
    for (std::size_t j = 0; j < where.size(); ++j) {
      CHECK(label(out.column("segment"), where[j]) == label(own.column("segment"), j));
      CHECK(label(out.column("group_model"), where[j]) == "group");
    }
  }
  // East (2 rows < min_size): the overall model, fitted on all 30 rows.
  const score_table overall = rfm_strategy(rfm_config::preset("default")).fit_rfm(all).apply(all);
  for (const std::size_t row : {std::size_t{2}, std::size_t{5}}) {
    CHECK(out.column("rfm_code").integers[row] == overall.column("rfm_code").integers[row]);
    CHECK(label(out.column("group_model"), row) == "small");
  }
  // overall_ columns: the overall model on every row.
  for (std::size_t row = 0; row < 30; ++row) {
    CHECK(out.column("overall_rfm_code").integers[row] == overall.column("rfm_code").integers[row]);
    CHECK(label(out.column("overall_segment"), row) == label(overall.column("segment"), row));
  }
  // The summary lists the groups with their sizes and which model scores them.
  const score_table sum = gm.summary();
  CHECK(label(sum.column("group"), 1) == "north");
  CHECK(sum.column("customers").integers[1] == 18);
  CHECK(label(sum.column("model"), 0) == "overall (small)");
}

TEST_CASE("grouped policies: unseen, null and small groups") {
  const sample_rows s = sample();
  const metric_table all = table_of(s.r, s.f, s.m);
  const group_column branch = group_column::from_labels(s.branch);
  const auto rfm = std::make_shared<rfm_strategy>();

  SUBCASE("small = error names the small groups") {
    grouped_config c;
    c.min_size = 5;
    c.small = group_policy::error;
    CHECK_THROWS_WITH_AS(grouped_strategy(rfm, c).fit_grouped(all, branch),
                         doctest::Contains("1 groups have fewer than min_size=5 rows: 'east' (2 rows)"),
                         invalid_input);
  }
  SUBCASE("nulls: error by default, overall when asked") {
    std::vector<std::uint8_t> valid(30, 1);
    valid[0] = valid[3] = 0;
    const group_column with_nulls = group_column::from_labels(s.branch, valid);
    CHECK(with_nulls.codes[0] == -1);
    CHECK_THROWS_WITH_AS(grouped_strategy(rfm).fit_grouped(all, with_nulls),
                         doctest::Contains("2 rows without a group (of 30)"), invalid_input);
    grouped_config c;
    c.nulls = group_policy::overall;
    const grouped_model gm = grouped_strategy(rfm, c).fit_grouped(all, with_nulls);
    CHECK(gm.null_rows() == 2);
    CHECK(gm.sizes()[1] == 16);  // north without rows 0 and 3
    const score_table out = gm.apply(all, with_nulls);
    CHECK(label(out.column("group_model"), 0) == "null");
    CHECK(out.column("rfm_code").integers[0] == out.column("overall_rfm_code").integers[0]);
    // A model fitted with nulls = error refuses null rows at apply time.
    const grouped_model strict = grouped_strategy(rfm).fit_grouped(all, branch);
    CHECK_THROWS_WITH_AS(strict.apply(all, with_nulls), doctest::Contains("2 rows without a group"), invalid_input);
  }
  SUBCASE("unseen: overall by default, error when asked") {
    std::vector<std::string> renamed = s.branch;
    renamed[1] = "west";
    const group_column other = group_column::from_labels(renamed);
    const grouped_model gm = grouped_strategy(rfm).fit_grouped(all, branch);
    const score_table out = gm.apply(all, other);
    CHECK(label(out.column("group_model"), 1) == "unseen");
    CHECK(label(out.column("group_model"), 4) == "group");
    CHECK(out.column("rfm_code").integers[1] == out.column("overall_rfm_code").integers[1]);
    grouped_config c;
    c.unseen = group_policy::error;
    const grouped_model strict = grouped_strategy(rfm, c).fit_grouped(all, branch);
    CHECK_THROWS_WITH_AS(strict.apply(all, other), doctest::Contains("groups the model was not fitted on hold 1 row (first: 'west')"),
                         invalid_input);
  }
  SUBCASE("overall_columns = false leaves the overall_ columns out") {
    grouped_config c;
    c.overall_columns = false;
    const score_table out = grouped_strategy(rfm, c).fit_grouped(all, branch).apply(all, branch);
    for (const score_column& col : out.columns) CHECK(col.name.rfind("overall_", 0) == std::string::npos);
  }
  SUBCASE("input errors") {
    group_column short_groups = branch;
    short_groups.codes.pop_back();
    CHECK_THROWS_WITH_AS(grouped_strategy(rfm).fit_grouped(all, short_groups),
                         doctest::Contains("the group column has 29 rows, the metric table 30"), invalid_input);
    group_column bad = branch;
    bad.codes[4] = 7;
    CHECK_THROWS_WITH_AS(grouped_strategy(rfm).fit_grouped(all, bad),
                         doctest::Contains("1 row outside [-1, 3) (first: row 4)"), invalid_input);
    CHECK_THROWS_AS(grouped_strategy(nullptr), invalid_input);
    grouped_config zero;
    zero.min_size = 0;
    CHECK_THROWS_WITH_AS(grouped_strategy(rfm, zero), doctest::Contains("min_size"), invalid_input);
    CHECK_THROWS_WITH_AS(grouped_strategy(rfm).fit(all), doctest::Contains("fit_grouped"), invalid_input);
    const grouped_model gm = grouped_strategy(rfm).fit_grouped(all, branch);
    CHECK_THROWS_WITH_AS(gm.apply(all), doctest::Contains("apply(metrics, groups)"), invalid_input);
    CHECK_THROWS_AS(parse_group_policy("fallback", "test"), invalid_input);
  }
}

TEST_CASE("grouped ABC per branch equals ABC on each branch's rows") {
  const sample_rows s = sample();
  const metric_table all = table_of(s.r, s.f, s.m);
  const group_column branch = group_column::from_labels(s.branch);
  const grouped_model gm = grouped_strategy(std::make_shared<abc_strategy>()).fit_grouped(all, branch);
  const score_table out = gm.apply(all, branch);
  for (const std::string b : {"east", "north", "south"}) {
    std::vector<std::size_t> where;
    const metric_table part = rows_of(s, b, where);
    const score_table own = abc_strategy().fit(part)->apply(part);
    for (std::size_t j = 0; j < where.size(); ++j) {
      CHECK(label(out.column("abc_class"), where[j]) == label(own.column("abc_class"), j));
    }
  }
}

TEST_CASE("grouped models save and load through the envelope and the registry") {
  const sample_rows s = sample();
  const metric_table all = table_of(s.r, s.f, s.m);
  const group_column branch = group_column::from_labels(s.branch);
  grouped_config c;
  c.min_size = 5;
  c.unseen = group_policy::error;
  const grouped_model gm = grouped_strategy(std::make_shared<rfm_strategy>(), c).fit_grouped(all, branch);
  const std::string bytes = gm.to_bytes();
  CHECK(envelope_kind(bytes) == "cpp_grouped");
  const std::unique_ptr<model> back = load_model(bytes);
  const auto& loaded = dynamic_cast<const grouped_model&>(*back);
  CHECK(loaded.names() == gm.names());
  CHECK(loaded.sizes() == gm.sizes());
  CHECK(loaded.config().unseen == group_policy::error);
  CHECK(loaded.config().min_size == 5);
  CHECK(loaded.group_model(0) == nullptr);
  const score_table a = gm.apply(all, branch), b = loaded.apply(all, branch);
  CHECK(a.column("rfm_code").integers == b.column("rfm_code").integers);
  CHECK(a.column("overall_rfm_code").integers == b.column("overall_rfm_code").integers);
  std::string damaged = bytes;
  damaged[damaged.size() - 3] ^= 1;
  CHECK_THROWS_AS(load_model(damaged), format_error);
  // A copy is deep: it applies after the original is gone.
  std::unique_ptr<model> copy = gm.clone();
  CHECK(dynamic_cast<const grouped_model&>(*copy).apply(all, branch).column("rfm_code").integers ==
        a.column("rfm_code").integers);
}

TEST_CASE("apply_by_row scatters each model's rows back and merges label lists") {
  metric_table t;
  t.add("x", std::vector<double>{1, 2, 3, 4, 5});
  const constant_model gold("gold"), silver("silver"), base("base");
  // Rows 0, 3 by model 1 (silver), row 2 by model 0 (gold), rows 1, 4 by the fallback.
  const score_table out = apply_by_row(t, {&gold, &silver}, {1, -1, 0, 1, -1}, &base);
  const score_column& tier = out.column("tier");
  CHECK(tier.labels == std::vector<std::string>{"unused_base", "base", "unused_gold", "gold", "unused_silver",
                                                "silver"});
  CHECK(label(tier, 0) == "silver");
  CHECK(label(tier, 1) == "base");
  CHECK(label(tier, 2) == "gold");
  CHECK(label(tier, 3) == "silver");
  CHECK(label(tier, 4) == "base");
  // Validity masks carry over (gold marks its values missing).
  CHECK(out.column("value").valid == std::vector<std::uint8_t>{1, 1, 0, 1, 1});
  CHECK_THROWS_WITH_AS(apply_by_row(t, {&gold}, {0, -1, 0, 0, 0}, nullptr),
                       doctest::Contains("model_of is -1 on 1 row but no fallback model is given"), invalid_input);
  CHECK_THROWS_WITH_AS(apply_by_row(t, {&gold}, {0, 2, 0, 0, 0}, &base), doctest::Contains("row 1 names model 2 of 1"),
                       invalid_input);
  CHECK_THROWS_AS(apply_by_row(t, {&gold}, {0, 0}, &base), invalid_input);
  // Models giving different columns: a schema error naming both lists.
  const rfm_model rfm = rfm_strategy().fit_rfm(table_of({1, 2, 3}, {1, 2, 3}, {1, 2, 3}));
  metric_table rfm_rows = table_of({1, 2}, {1, 2}, {1, 2});
  CHECK_THROWS_AS(apply_by_row(rfm_rows, {&rfm}, {0, -1}, &base), schema_error);
}

TEST_CASE("fit_by_group: a model per group with enough rows, fitted on exactly its rows") {
  const sample_rows s = sample();
  const metric_table all = table_of(s.r, s.f, s.m);
  // Group 0: rows 0..9, group 1: rows 10..12 (too small for min_size 5), group 2: no rows;
  // rows 13..29 in no group.
  std::vector<std::int64_t> group_of(30, -1);
  for (std::size_t i = 0; i < 10; ++i) group_of[i] = 0;
  for (std::size_t i = 10; i < 13; ++i) group_of[i] = 1;
  const auto models = fit_by_group(rfm_strategy(), all, group_of, 3, 5);
  REQUIRE(models.size() == 3);
  CHECK(models[1] == nullptr);
  CHECK(models[2] == nullptr);
  REQUIRE(models[0] != nullptr);
  const metric_table first = table_of({s.r.begin(), s.r.begin() + 10}, {s.f.begin(), s.f.begin() + 10},
                                      {s.m.begin(), s.m.begin() + 10});
  CHECK(dynamic_cast<const rfm_model&>(*models[0]) == rfm_strategy().fit_rfm(first));
  CHECK_THROWS_WITH_AS(fit_by_group(rfm_strategy(), all, group_of, 1, 5), doctest::Contains("outside [-1, 1)"),
                       invalid_input);
  group_of.pop_back();
  CHECK_THROWS_AS(fit_by_group(rfm_strategy(), all, group_of, 3, 5), invalid_input);
}

namespace {
// Fails on a table with an odd row count, naming its first value.
class odd_failing_strategy final : public strategy {
 public:
  std::string kind() const override { return "odd_failing"; }
  std::unique_ptr<model> fit(const metric_table& metrics) const override {
    if (metrics.rows() % 2 == 1) {
      throw invalid_input("odd rows from " + std::to_string(static_cast<int>(metrics.column("x", "test")[0])));
    }
    return std::make_unique<constant_model>("ok");
  }
};
}  // namespace

TEST_CASE("fit_by_group over many groups: the same models whatever the threads; the lowest failing group's error") {
  metric_table t;
  std::vector<double> x(4000);
  std::vector<std::int64_t> group_of(4000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<double>(i);
    group_of[i] = static_cast<std::int64_t>((i * 7919) % 200);  // 200 groups of 20 rows, interleaved
  }
  group_of[0] = 150;  // group 150 gets 21 rows (odd), group 0 19 (odd): group 0's error wins
  t.add("x", x);
  for (int run = 0; run < 5; ++run) {
    CHECK_THROWS_WITH_AS(fit_by_group(odd_failing_strategy(), t, group_of, 200, 1), doctest::Contains("odd rows from 200"),
                         invalid_input);  // group 0's first row is 200 (group 150's, also failing, is 0)
  }
  // RFM on 200 groups: each group's model equals the model fitted on its rows picked by hand.
  std::vector<double> r(4000), f(4000), m(4000);
  for (std::size_t i = 0; i < 4000; ++i) {
    r[i] = static_cast<double>((i * 31) % 97);
    f[i] = static_cast<double>((i * 17) % 13 + 1);
    m[i] = static_cast<double>((i * 101) % 1009);
  }
  const metric_table all = table_of(r, f, m);
  const auto models = fit_by_group(rfm_strategy(), all, group_of, 200, 1);
  for (const std::int64_t g : {std::int64_t{0}, std::int64_t{77}, std::int64_t{150}, std::int64_t{199}}) {
    std::vector<double> gr, gf, gm;
    for (std::size_t i = 0; i < 4000; ++i) {
      if (group_of[i] != g) continue;
      gr.push_back(r[i]);
      gf.push_back(f[i]);
      gm.push_back(m[i]);
    }
    CHECK(dynamic_cast<const rfm_model&>(*models[static_cast<std::size_t>(g)]) ==
          rfm_strategy().fit_rfm(table_of(gr, gf, gm)));
  }
}

namespace {
// Every cell of two score tables equal (names, kinds, labels as texts, values, validity).
void check_same_scores(const score_table& a, const score_table& b) {
  REQUIRE(a.columns.size() == b.columns.size());
  for (std::size_t c = 0; c < a.columns.size(); ++c) {
    const score_column &x = a.columns[c], &y = b.columns[c];
    CHECK(x.name == y.name);
    REQUIRE(x.type == y.type);
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      CHECK(x.is_valid(i) == y.is_valid(i));
      if (x.type == score_column::kind::label) {
        CHECK(label(x, i) == label(y, i));
      } else if (x.is_valid(i)) {
        if (x.type == score_column::kind::integer) {
          CHECK(x.integers[i] == y.integers[i]);
        } else {
          CHECK(x.numbers[i] == y.numbers[i]);
        }
      }
    }
  }
}
}  // namespace

TEST_CASE("fit_apply_by_group equals fit_by_group then apply_by_row; the fallback's scores are reused") {
  // 3,000 rows over 40 interleaved groups (group 7 under min_size: 5 rows), some rows in none.
  std::vector<double> r(3000), f(3000), m(3000);
  std::vector<std::int64_t> group_of(3000);
  for (std::size_t i = 0; i < 3000; ++i) {
    r[i] = static_cast<double>((i * 31) % 97 + 1);
    f[i] = static_cast<double>((i * 17) % 13 + 1);
    m[i] = static_cast<double>((i * 101) % 1009 + 1);
    group_of[i] = i % 11 == 0 ? -1 : static_cast<std::int64_t>((i * 7) % 39);
  }
  for (std::size_t i = 0, moved = 0; i < 3000; ++i) {
    if (group_of[i] == 7 && moved++ >= 5) group_of[i] = 8;  // group 7 keeps 5 rows
  }
  group_of[5] = 39;  // group 39: one row
  const metric_table all = table_of(r, f, m);
  const rfm_strategy inner;
  const std::unique_ptr<model> overall = inner.fit(all);
  const std::size_t min_size = 10;
  const grouped_fit_scores fused = fit_apply_by_group(inner, all, group_of, 40, min_size, overall.get());
  const auto models = fit_by_group(inner, all, group_of, 40, min_size);
  REQUIRE(fused.models.size() == 40);
  std::vector<const model*> ptrs;
  std::vector<std::int32_t> model_of(3000, -1);
  for (std::size_t g = 0; g < 40; ++g) {
    CHECK((fused.models[g] == nullptr) == (models[g] == nullptr));
    if (models[g]) {
      CHECK(dynamic_cast<const rfm_model&>(*fused.models[g]) == dynamic_cast<const rfm_model&>(*models[g]));
    }
    ptrs.push_back(models[g].get());
  }
  CHECK(fused.models[7] == nullptr);
  CHECK(fused.models[39] == nullptr);
  for (std::size_t i = 0; i < 3000; ++i) {
    if (group_of[i] >= 0 && models[static_cast<std::size_t>(group_of[i])]) model_of[i] = static_cast<std::int32_t>(group_of[i]);
  }
  const score_table separate = apply_by_row(all, ptrs, model_of, overall.get());
  check_same_scores(fused.scores, separate);
  // Given the fallback's scores of every row, the fallback rows take theirs from them: the
  // same table; a marked copy shows where they came from.
  score_table everyone = overall->apply(all);
  check_same_scores(apply_by_row(all, ptrs, model_of, overall.get(), &everyone), separate);
  const grouped_fit_scores with_all = fit_apply_by_group(inner, all, group_of, 40, min_size, overall.get(), true);
  check_same_scores(with_all.scores, separate);
  check_same_scores(with_all.fallback_scores, everyone);
  CHECK(with_all.overall == nullptr);
  // Without a fallback the overall model is fitted in the same pass: the same model.
  const grouped_fit_scores own = fit_apply_by_group(inner, all, group_of, 40, min_size, nullptr, true);
  REQUIRE(own.overall != nullptr);
  CHECK(dynamic_cast<const rfm_model&>(*own.overall) == dynamic_cast<const rfm_model&>(*overall));
  check_same_scores(own.scores, separate);
  check_same_scores(own.fallback_scores, everyone);
  score_table marked = everyone;
  for (std::int64_t& v : marked.columns[0].integers) v = 42;
  const score_table taken = apply_by_row(all, ptrs, model_of, nullptr, &marked);
  for (std::size_t i = 0; i < 3000; ++i) {
    if (model_of[i] < 0 && marked.columns[0].valid[i]) CHECK(taken.columns[0].integers[i] == 42);
    if (model_of[i] >= 0) CHECK(taken.columns[0].integers[i] == separate.columns[0].integers[i]);
  }
  const score_table short_scores = overall->apply(all.slice(0, 10));
  CHECK_THROWS_WITH_AS(apply_by_row(all, ptrs, model_of, overall.get(), &short_scores),
                       doctest::Contains("the fallback's scores have 10 rows, the metric table 3,000"), invalid_input);
  CHECK_THROWS_WITH_AS(fit_apply_by_group(inner, all, group_of, 39, min_size, overall.get()),
                       doctest::Contains("outside [-1, 39)"), invalid_input);
  group_of.pop_back();
  CHECK_THROWS_WITH_AS(fit_apply_by_group(inner, all, group_of, 40, min_size, overall.get()),
                       doctest::Contains("group_of has 2,999 rows"), invalid_input);
}

namespace {
// A constant model that counts the rows it has been applied to (shared between clones).
class counting_model final : public model {
 public:
  explicit counting_model(std::shared_ptr<std::size_t> rows) : rows_(std::move(rows)) {}
  std::string kind() const override { return "counting"; }
  score_table apply(const metric_table& metrics) const override {
    *rows_ += metrics.rows();
    return constant_model("base").apply(metrics);
  }
  score_table summary() const override { return {}; }
  std::unique_ptr<model> clone() const override { return std::make_unique<counting_model>(*this); }
  std::string to_bytes() const override { return {}; }

 private:
  std::shared_ptr<std::size_t> rows_;
};
}  // namespace

TEST_CASE("grouped_model::apply with overall_ columns applies the overall model once, to every row") {
  metric_table t;
  t.add("x", std::vector<double>{1, 2, 3, 4, 5, 6});
  const group_column g = group_column::from_labels({"a", "a", "b", "zz", "a", "b"});
  for (const bool overall_columns : {true, false}) {
    auto rows = std::make_shared<std::size_t>(0);
    grouped_config c;
    c.overall_columns = overall_columns;
    std::vector<std::unique_ptr<model>> models;
    models.push_back(std::make_unique<constant_model>("gold"));
    models.push_back(nullptr);  // b: small
    const grouped_model gm(c, {"a", "b"}, {3, 1}, std::move(models), std::make_unique<counting_model>(rows));
    const score_table out = gm.apply(t, g);
    // With overall_ columns: all 6 rows once (the 3 falling back, b's and zz's, read from
    // them); without: only those 3.
    CHECK(*rows == (overall_columns ? 6u : 3u));
    const score_column& tier = out.column("tier");
    CHECK(label(tier, 0) == "gold");
    CHECK(label(tier, 2) == "base");
    CHECK(label(tier, 3) == "base");
    CHECK(label(out.column("group_model"), 3) == "unseen");
    CHECK(label(out.column("group_model"), 5) == "small");
    if (overall_columns) CHECK(label(out.column("overall_tier"), 0) == "base");
  }
}
