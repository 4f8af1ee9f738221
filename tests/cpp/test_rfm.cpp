#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/rfm.hpp>

#include <cmath>

using namespace tierkit;

namespace {
metric_table table(std::vector<double> r, std::vector<double> f, std::vector<double> m) {
  metric_table t;
  t.add("recency", std::move(r));
  t.add("frequency", std::move(f));
  t.add("monetary", std::move(m));
  return t;
}
}  // namespace

TEST_CASE("RFM scores, code, sum and segment on a hand-worked table") {
  // Ten customers; recency 1..10 days, frequency 10..1, monetary 100..1000.
  std::vector<double> r, f, m;
  for (int i = 1; i <= 10; ++i) {
    r.push_back(i);
    f.push_back(11 - i);
    m.push_back(100.0 * i);
  }
  const metric_table t = table(r, f, m);
  const rfm_model model = rfm_strategy().fit_rfm(t);
  const rfm_scores s = model.score(t);
  CHECK(s.r[0] == 5);  // most recent
  CHECK(s.f[0] == 5);
  CHECK(s.m[0] == 1);
  CHECK(s.code[0] == 551);
  CHECK(s.sum[0] == 11);
  CHECK(model.config().segments.rules()[static_cast<std::size_t>(s.segment[0])].name == "Champions");
  CHECK(s.r[9] == 1);
  CHECK(s.unscored == 0);
  const score_table out = model.apply(t);
  CHECK(out.column("rfm_code").integers[9] == 115);
  CHECK(out.column("segment").labels[static_cast<std::size_t>(out.column("segment").codes[9])] == "Lost");
  CHECK(out.column("segment_zh").labels[static_cast<std::size_t>(out.column("segment_zh").codes[9])] == "流失客户");
}

TEST_CASE("customers without a metric are not scored and are counted") {
  const metric_table t = table({1, 2, NAN, 4}, {1, 2, 3, 4}, {5, 6, 7, 8});
  const rfm_model model = rfm_strategy().fit_rfm(t);
  CHECK(model.recency().fit_missing == 1);
  CHECK(model.recency().fit_rows == 3);
  const rfm_scores s = model.score(t);
  CHECK(s.unscored == 1);
  CHECK(s.r[2] == 0);
  CHECK(s.segment[2] == -1);
  CHECK_FALSE(model.apply(t).column("r_score").is_valid(2));
}

TEST_CASE("a frozen model scores next month's customers against this month's cuts") {
  const metric_table jan = table({1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5});
  const rfm_model model = rfm_strategy().fit_rfm(jan);
  const metric_table feb = table({100, 0.5}, {9, 0}, {-20, 3});
  const rfm_scores s = model.score(feb);
  CHECK(s.r[0] == 1);  // far beyond the fitted range: the outer bin
  CHECK(s.r[1] == 5);
  CHECK(s.f[0] == 5);
  CHECK(s.m[0] == 1);  // negative monetary ranks lowest
  CHECK(s.m[1] == 3);
}

TEST_CASE("a single customer, all customers equal, and empty input") {
  const metric_table one = table({3}, {1}, {10});
  const rfm_scores s = rfm_strategy().fit_rfm(one).score(one);
  CHECK(s.r[0] == 5);  // reversed: the only value falls in bin 1, recency score 5
  CHECK(s.f[0] == 1);
  const metric_table same = table({7, 7, 7}, {2, 2, 2}, {5, 5, 5});
  const rfm_model model = rfm_strategy().fit_rfm(same);
  CHECK(model.frequency().empty_scores() == std::vector<int>{2, 3, 4, 5});
  CHECK_THROWS_WITH_AS(rfm_strategy().fit_rfm(table({}, {}, {})),
                       doctest::Contains("no customers to fit"), invalid_input);
  CHECK_THROWS_WITH_AS(rfm_strategy().fit_rfm(table({NAN}, {1}, {1})),
                       doctest::Contains("no customer has all of recency, frequency and monetary"),
                       invalid_input);
  metric_table wrong;
  wrong.add("recency", {1});
  CHECK_THROWS_WITH_AS(rfm_strategy().fit_rfm(wrong), doctest::Contains("no metric column 'frequency'"),
                       schema_error);
}

TEST_CASE("the summary is a tidy table of cut points and counts per score") {
  const metric_table t = table({1, 2, 3, 4}, {1, 1, 1, 9}, {1, 2, 3, 4});
  const score_table s = rfm_strategy().fit_rfm(t).summary();
  CHECK(s.rows() == 15);
  const score_column& empty = s.column("is_empty");
  std::int64_t empties = 0;
  for (auto e : empty.integers) empties += e;
  CHECK(empties >= 3);  // frequency ties collapse bins
}

TEST_CASE("the Chinese eight-class preset splits at the mean") {
  const rfm_config c = rfm_config::chinese_eight();
  const metric_table t = table({10, 100}, {5, 1}, {1000, 10});
  const rfm_model model = rfm_strategy(c).fit_rfm(t);
  const rfm_scores s = model.score(t);
  CHECK(s.r[0] == 2);
  CHECK(s.f[0] == 2);
  CHECK(s.m[0] == 2);
  CHECK(model.config().segments.rules()[static_cast<std::size_t>(s.segment[0])].label_zh == "重要价值客户");
  CHECK(model.config().segments.rules()[static_cast<std::size_t>(s.segment[1])].label_zh == "一般挽留客户");
}

TEST_CASE("fitting on threads reports the first bad metric in R, F, M order, every time") {
  // Enough customers for the three fits to run on threads; frequency and monetary both bad.
  const std::size_t n = 70'000;
  std::vector<double> r(n, 5.0), f(n, 2.0), m(n, 10.0);
  f[n / 2] = INFINITY;
  m[7] = INFINITY;
  const metric_table t = table(r, f, m);
  for (int i = 0; i < 20; ++i) {
    CHECK_THROWS_WITH_AS(rfm_strategy().fit_rfm(t), doctest::Contains("frequency"), invalid_input);
  }
}

TEST_CASE("an unfitted model's bins score without reading cut points") {
  fitted_bins none;  // bins == 0
  CHECK(none.score(1.0) == 1);
  none.higher_is_better = false;
  CHECK(none.score(1.0) == 0);
  fitted_bins one;
  one.bins = 1;
  CHECK(one.score(-3.0) == 1);
}
