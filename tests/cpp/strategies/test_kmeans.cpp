#include <doctest/doctest.h>

#include <tierkit/error.hpp>
#include <tierkit/serialization.hpp>
#include <tierkit/strategies/kmeans.hpp>
#include <tierkit/strategy.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace tierkit;

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

// Three tight groups in two columns: 5 rows near (0, 0), 4 near (10, 0), 3 near (0, 10).
metric_table three_groups() {
  metric_table t;
  t.add("a", {0, 0.1, -0.1, 0.05, 0, 10, 10.1, 9.9, 10, 0, 0.1, -0.1});
  t.add("b", {0, 0.1, 0, -0.1, 0.05, 0, 0.1, -0.1, 0, 10, 10.1, 9.9});
  return t;
}

kmeans_config two_columns(int k) {
  kmeans_config c;
  c.columns = {"a", "b"};
  c.k = k;
  c.transform = "none";
  return c;
}

}  // namespace

TEST_CASE("k-means finds three separated groups and numbers them by decreasing size") {
  const kmeans_model m = kmeans_strategy(two_columns(3)).fit_kmeans(three_groups());
  REQUIRE(m.clusters().size() == 3);
  CHECK(m.clusters()[0].customers == 5);
  CHECK(m.clusters()[1].customers == 4);
  CHECK(m.clusters()[2].customers == 3);
  CHECK(m.clusters()[1].mean[0] == doctest::Approx(10.0));
  CHECK(m.clusters()[2].mean[1] == doctest::Approx(10.0));
  CHECK(m.clusters()[0].name == "cluster 1");
  CHECK(m.report().converged);
  CHECK(m.report().rows == 12);
  CHECK(m.report().silhouette > 0.9);
  const score_table s = m.apply(three_groups());
  const std::vector<std::int64_t> want = {1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3};
  CHECK(s.column("cluster").integers == want);
  CHECK(s.column("cluster_name").labels[s.column("cluster_name").codes[5]] == "cluster 2");
}

TEST_CASE("k-means: the same seed gives the same model on one thread and on several") {
  metric_table t;
  std::vector<double> a, b;
  for (int i = 0; i < 5000; ++i) {
    a.push_back(std::sin(i * 0.7) * (i % 7));
    b.push_back(std::cos(i * 1.3) * (i % 5));
  }
  t.add("a", a);
  t.add("b", b);
  kmeans_config c = two_columns(5);
  c.seed = 42;
  c.threads = 1;
  const kmeans_model one = kmeans_strategy(c).fit_kmeans(t);
  c.threads = 4;
  const kmeans_model four = kmeans_strategy(c).fit_kmeans(t);
  CHECK(one == four);
  c.seed = 43;
  const kmeans_model other = kmeans_strategy(c).fit_kmeans(t);
  CHECK(other.report().initial_centres != one.report().initial_centres);
  // the winner has the lowest inertia of the restarts
  for (double v : one.report().restart_inertia) CHECK(one.report().inertia <= v * (1 + 1e-12));
}

TEST_CASE("k-means: k-means++ seeds are rows of the data") {
  const metric_table t = three_groups();
  kmeans_config c = two_columns(3);
  c.restarts = 1;
  const kmeans_model m = kmeans_strategy(c).fit_kmeans(t);
  const std::vector<double>& init = m.report().initial_centres;
  const number_span a = t.column("a", "test"), b = t.column("b", "test");
  for (int j = 0; j < 3; ++j) {
    bool found = false;
    for (std::size_t i = 0; i < t.rows(); ++i) found |= a[i] == init[2 * j] && b[i] == init[2 * j + 1];
    CHECK(found);
  }
}

TEST_CASE("k-means: standardize uses the population standard deviation; log is sign(v) log(1 + |v|)") {
  metric_table t;
  t.add("a", {1, 2, 3, 4});
  t.add("b", {-3, 0, 3, 99});
  kmeans_config c = two_columns(1);
  c.transform = "standardize";
  kmeans_model m = kmeans_strategy(c).fit_kmeans(t);
  CHECK(m.shift()[0] == doctest::Approx(2.5));
  CHECK(m.scale()[0] == doctest::Approx(std::sqrt(1.25)));
  c.transform = "log";
  m = kmeans_strategy(c).fit_kmeans(t);
  const std::vector<double> x = m.transform(t);
  CHECK(x[1] == doctest::Approx(-std::log(4.0)));
  CHECK(x[3] == doctest::Approx(0.0));
  CHECK(m.scale()[1] == 1.0);
}

TEST_CASE("k-means: a column without spread is centred, not scaled") {
  metric_table t;
  t.add("a", {1, 2, 3, 4});
  t.add("b", {7, 7, 7, 7});
  kmeans_config c = two_columns(2);
  c.transform = "standardize";
  const kmeans_model m = kmeans_strategy(c).fit_kmeans(t);
  CHECK(m.shift()[1] == 7);
  CHECK(m.scale()[1] == 1);
}

TEST_CASE("k-means: rows with a missing value are left out, counted and get nulls") {
  metric_table t = three_groups();
  metric_table u;
  std::vector<double> a(t.column("a", "test").begin(), t.column("a", "test").end());
  std::vector<double> b(t.column("b", "test").begin(), t.column("b", "test").end());
  a.push_back(missing);
  b.push_back(3);
  u.add("a", a);
  u.add("b", b);
  const kmeans_model m = kmeans_strategy(two_columns(3)).fit_kmeans(u);
  CHECK(m.report().left_out == 1);
  CHECK(m.report().rows == 12);
  const score_table s = m.apply(u);
  CHECK_FALSE(s.column("cluster").is_valid(12));
  CHECK_FALSE(s.column("cluster_name").is_valid(12));
  CHECK(s.column("cluster").is_valid(11));
}

TEST_CASE("k-means: bad input is named") {
  metric_table t;
  t.add("a", {1, std::numeric_limits<double>::infinity(), 3});
  t.add("b", {1, 2, 3});
  CHECK_THROWS_WITH_AS(kmeans_strategy(two_columns(2)).fit_kmeans(t),
                       doctest::Contains("column 'a' has 1 infinite values (rows 1)"), invalid_input);
  metric_table same;
  same.add("a", {1, 1, 1, 2});
  same.add("b", {1, 1, 1, 2});
  CHECK_THROWS_WITH_AS(kmeans_strategy(two_columns(3)).fit_kmeans(same),
                       doctest::Contains("only 2 distinct points"), invalid_input);
  CHECK_THROWS_WITH_AS(kmeans_strategy(two_columns(5)).fit_kmeans(same),
                       doctest::Contains("need at least 5 rows"), invalid_input);
  kmeans_config c = two_columns(2);
  c.columns = {"a", "zz"};
  CHECK_THROWS_AS(kmeans_strategy(c).fit_kmeans(same), schema_error);
  c = two_columns(2);
  c.transform = "logs";
  CHECK_THROWS_WITH_AS(kmeans_strategy{c}, doctest::Contains("transform must be"), invalid_input);
  c = two_columns(2);
  c.names = {"one"};
  CHECK_THROWS_WITH_AS(kmeans_strategy{c}, doctest::Contains("names must hold k = 2"), invalid_input);
}

TEST_CASE("k-means: from given initial centres, one Lloyd run; an empty centre takes the farthest row") {
  metric_table t;
  t.add("a", {0, 1, 2, 10, 11, 12});
  t.add("b", {0, 0, 0, 0, 0, 0});
  kmeans_config c = two_columns(3);
  // The third centre is far from every row: it starts empty and takes the row farthest
  // from its centre (12, whose centre starts at 5).
  c.initial_centres = {1, 0, 5, 0, 100, 100};
  const kmeans_model m = kmeans_strategy(c).fit_kmeans(t);
  CHECK(m.report().restart_inertia.size() == 1);
  CHECK(m.report().initial_centres == c.initial_centres);
  const score_table s = m.apply(t);
  const auto& k = s.column("cluster").integers;
  CHECK(k[0] == k[1]);
  CHECK(k[1] == k[2]);
  CHECK(k[3] == k[4]);
  CHECK(k[0] != k[3]);
  CHECK(m.report().inertia == doctest::Approx(2.0 + 0.5));  // {0,1,2}: 2; {10,11}: 0.5; {12}: 0
}

TEST_CASE("k-means: descriptions from standard scores; names given in cluster order") {
  kmeans_config c = two_columns(3);
  c.names = {"core", "east", "north"};
  const kmeans_model m = kmeans_strategy(c).fit_kmeans(three_groups());
  CHECK(m.clusters()[0].name == "core");
  CHECK(m.clusters()[1].description == "high a, low b");
  CHECK(m.clusters()[2].description == "low a, high b");
  const score_table s = m.summary();
  CHECK(s.column("customers").integers == std::vector<std::int64_t>{5, 4, 3});
  CHECK(s.column("mean_a").numbers[1] == doctest::Approx(10.0));
}

TEST_CASE("k-means models save and load, and load through the registry") {
  kmeans_config c = two_columns(3);
  c.names = {"core", "east", "north"};
  const kmeans_model m = kmeans_strategy(c).fit_kmeans(three_groups());
  const std::string bytes = to_bytes(m);
  CHECK(kmeans_model_from_bytes(bytes) == m);
  const std::unique_ptr<model> any = load_model(bytes);
  CHECK(any->kind() == "kmeans");
  CHECK(any->apply(three_groups()).column("cluster").integers == m.apply(three_groups()).column("cluster").integers);
  options o{{"columns", std::vector<std::string>{"a", "b"}}, {"k", 3.0}, {"transform", std::string("none")}};
  const std::unique_ptr<model> made = make_strategy("kmeans", o)->fit(three_groups());
  CHECK(made->summary().column("customers").integers == std::vector<std::int64_t>{5, 4, 3});
  CHECK_THROWS_AS(make_strategy("kmeans", options{{"kk", 3.0}}), invalid_input);
  CHECK_THROWS_AS(clv_model_from_bytes(bytes), format_error);
}

TEST_CASE("k-means elbow table: inertia falls with k") {
  const score_table e = kmeans_elbow(three_groups(), two_columns(1), {1, 2, 3, 4});
  const auto& inertia = e.column("inertia").numbers;
  REQUIRE(inertia.size() == 4);
  CHECK(inertia[0] > inertia[1]);
  CHECK(inertia[1] > inertia[2]);
  CHECK(inertia[2] >= inertia[3]);
  CHECK_FALSE(e.column("silhouette").is_valid(0));  // one cluster: no silhouette
  CHECK(e.column("silhouette").numbers[2] > 0.9);
}
