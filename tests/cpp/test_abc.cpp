#include <doctest/doctest.h>
#include <tierkit/abc.hpp>
#include <tierkit/error.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>


#include <cmath>

using namespace tierkit;

namespace {
std::vector<std::string> classes(const abc_model& m, const std::vector<double>& v) {
  std::vector<std::string> out;
  const auto labels = m.labels();
  for (std::int32_t c : m.classify(v)) out.push_back(c < 0 ? "-" : labels[static_cast<std::size_t>(c)]);
  return out;
}
}  // namespace

TEST_CASE("the customer who crosses a boundary belongs to the higher class") {
  const std::vector<double> v = {2, 50, 5, 30, 10, 3};  // total 100
  const abc_model m = abc_strategy().fit_abc(v);
  CHECK(classes(m, v) == std::vector<std::string>{"C", "A", "B", "A", "B", "C"});
  CHECK(m.classes()[0].customers == 2);
  CHECK(m.classes()[0].value == 80);
  CHECK(m.classes()[1].min_value == 5);
}

TEST_CASE("equal values share a class, the higher one at a boundary") {
  const std::vector<double> v = {40, 40, 20};
  CHECK(classes(abc_strategy().fit_abc(v), v) == std::vector<std::string>{"A", "A", "B"});
  const std::vector<double> tie = {70, 10, 10, 10};  // 70 -> A; the 10s start at 70% -> A
  CHECK(classes(abc_strategy().fit_abc(tie), tie) == std::vector<std::string>{"A", "A", "A", "A"});
  const std::vector<double> all(10, 5.0);
  for (const std::string& c : classes(abc_strategy().fit_abc(all), all)) CHECK(c == "A");
}

TEST_CASE("count mode: top 20% A, next 70% B, last 10% C") {
  std::vector<double> v;
  for (int i = 1; i <= 10; ++i) v.push_back(i);
  abc_config c;
  c.mode = abc_mode::count;
  const abc_model m = abc_strategy(c).fit_abc(v);
  CHECK(classes(m, v) == std::vector<std::string>{"C", "B", "B", "B", "B", "B", "B", "B", "A", "A"});
}

TEST_CASE("zero and negative values: own class, lowest class, or no class; NaN no class") {
  const std::vector<double> v = {10, 0, -5, NAN};
  CHECK(classes(abc_strategy().fit_abc(v), v) == std::vector<std::string>{"A", "N", "N", "-"});
  abc_config low;
  low.nonpositive = nonpositive_policy::lowest_class;
  CHECK(classes(abc_strategy(low).fit_abc(v), v) == std::vector<std::string>{"A", "C", "C", "-"});
  abc_config none;
  none.nonpositive = nonpositive_policy::unclassified;
  CHECK(classes(abc_strategy(none).fit_abc(v), v) == std::vector<std::string>{"A", "-", "-", "-"});
  CHECK(abc_strategy().fit_abc(v).missing_at_fit() == 1);
}

TEST_CASE("a frozen model classifies new values by each class's smallest fitted value") {
  const abc_model m = abc_strategy().fit_abc(std::vector<double>{50, 30, 10, 5, 3, 2});
  CHECK(classes(m, {1000, 30, 29.9, 5, 4.99, 0.01, 0}) ==
        std::vector<std::string>{"A", "A", "B", "B", "C", "C", "N"});
}

TEST_CASE("classes of many values against a value-at-a-time reading of the thresholds") {
  // Fitted on few distinct values (so that some classes hold no customers) or on many;
  // applied to values on, beside and between the class thresholds, zero, negative, infinite
  // and missing, under each non-positive policy, in blocks on all cores.
  std::mt19937_64 rng(3);
  for (const int distinct : {1, 2, 3, 50, 100000}) {
    for (const nonpositive_policy policy :
         {nonpositive_policy::own_class, nonpositive_policy::lowest_class, nonpositive_policy::unclassified}) {
      abc_config c;
      c.nonpositive = policy;
      std::vector<double> fit(3000);
      for (double& x : fit) x = 1 + static_cast<double>(rng() % static_cast<std::uint64_t>(distinct));
      const abc_model m = abc_strategy(c).fit_abc(fit);
      const std::vector<abc_class_stats>& cls = m.classes();
      const std::size_t k = cls.size();
      std::vector<double> v(9001);
      for (double& x : v) {
        const abc_class_stats& near = cls[rng() % k];
        switch (rng() % 7) {
          case 0: x = std::nan(""); break;
          case 1: x = rng() % 2 ? 0.0 : -3.5; break;
          case 2: x = rng() % 2 ? HUGE_VAL : -HUGE_VAL; break;
          case 3: x = near.min_value; break;
          case 4: x = std::nextafter(near.min_value, 0.0); break;
          default: x = static_cast<double>(rng() % static_cast<std::uint64_t>(distinct + 2));
        }
      }
      const std::vector<std::int32_t> got = m.classify(v);
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::int32_t want = -1;
        if (std::isnan(v[i])) {
          want = -1;
        } else if (!(v[i] > 0)) {
          want = policy == nonpositive_policy::own_class      ? static_cast<std::int32_t>(k)
                 : policy == nonpositive_policy::lowest_class ? static_cast<std::int32_t>(k - 1)
                                                              : -1;
        } else {
          want = static_cast<std::int32_t>(k - 1);
          for (std::size_t j = 0; j + 1 < k; ++j) {
            if (cls[j].customers > 0 && v[i] >= cls[j].min_value) {
              want = static_cast<std::int32_t>(j);
              break;
            }
          }
        }
        REQUIRE(got[i] == want);
      }
    }
  }
}

TEST_CASE("values from 2^60 up to the largest double are classed and summed exactly") {
  // One customer of 3e18: alone in A, holding A's value (not counted as 0); the others
  // come after 95% of the value, in C.
  const abc_model big = abc_strategy().fit_abc(std::vector<double>{10, 3e18, 5});
  CHECK(classes(big, {10, 3e18, 5}) == std::vector<std::string>{"C", "A", "C"});
  CHECK(big.classes()[0].value == 3e18);
  CHECK(big.classes()[1].customers == 0);
  CHECK(big.classes()[2].value == 15);
  // Exact at any magnitude: with a customer of 10^-9, 2^64 is just below 80% of the total,
  // so the next customer is still in A; without it, exactly 80%, so B. (In doubles the
  // total is the same either way.)
  const double two64 = std::ldexp(1.0, 64), two62 = std::ldexp(1.0, 62);
  const std::vector<double> with_tiny = {two64, two62 - 1024, 1024, 1e-9};
  const abc_model a = abc_strategy().fit_abc(with_tiny);
  CHECK(classes(a, with_tiny) == std::vector<std::string>{"A", "A", "C", "C"});
  CHECK(a.classes()[0].value == static_cast<double>(static_cast<long double>(two64) + (two62 - 1024)));
  const std::vector<double> without = {two64, two62 - 1024, 1024};
  CHECK(classes(abc_strategy().fit_abc(without), without) == std::vector<std::string>{"A", "B", "C"});
  // Integers scaled by 2^k are exact doubles: the same classes, and class values scaled
  // exactly, whether values and total fit 128-bit nano-units (k < 46), only the values do
  // (46 <= k < 50), or neither (up to the largest doubles).
  std::mt19937_64 rng(17);
  std::vector<double> base(3000);
  for (double& x : base) x = static_cast<double>(1 + rng() % 1000);
  base[0] = 0;
  base[1] = -4;
  for (const abc_mode mode : {abc_mode::value, abc_mode::count}) {
    abc_config c;
    c.mode = mode;
    const abc_model reference = abc_strategy(c).fit_abc(base);
    for (const int k : {1, 30, 48, 59, 60, 61, 100, 500, 960, 1013}) {
      CAPTURE(k);
      std::vector<double> scaled = base;
      for (double& x : scaled) x = std::ldexp(x, k);
      const abc_model m = abc_strategy(c).fit_abc(scaled);
      CHECK(m.classify(scaled) == reference.classify(base));
      for (std::size_t j = 0; j < m.classes().size(); ++j) {
        CHECK(m.classes()[j].customers == reference.classes()[j].customers);
        CHECK(m.classes()[j].value == std::ldexp(reference.classes()[j].value, k));
        CHECK(m.classes()[j].min_value == std::ldexp(reference.classes()[j].min_value, k));
      }
    }
  }
}

TEST_CASE("a model without classes (default-constructed) classifies nothing") {
  CHECK(abc_model().classify(std::vector<double>{1, 0, -1, NAN}) == std::vector<std::int32_t>(4, -1));
}

TEST_CASE("concentration: Gini, top 20% share and the Lorenz curve") {
  const concentration eq = measure_concentration(std::vector<double>{1, 1, 1, 1});
  CHECK(eq.gini == doctest::Approx(0.0));
  CHECK(eq.lorenz[50] == doctest::Approx(0.5));
  const concentration one = measure_concentration(std::vector<double>{0, 0, 0, 10, -3});
  CHECK(one.gini == doctest::Approx(0.75));
  CHECK(one.top20_share == doctest::Approx(1.0));
  CHECK(one.negative_left_out == 1);
  CHECK(one.lorenz[50] == doctest::Approx(0.0));
  CHECK(one.lorenz[100] == doctest::Approx(1.0));
  CHECK(std::isnan(measure_concentration(std::vector<double>{0, 0}).gini));
}

TEST_CASE("bad ABC settings are named") {
  abc_config c;
  c.shares = {0.9, 0.5};
  CHECK_THROWS_WITH_AS(abc_strategy{c}, doctest::Contains("shares must increase strictly"), invalid_input);
  abc_config l;
  l.labels = {"A", "B"};
  CHECK_THROWS_WITH_AS(abc_strategy{l}, doctest::Contains("2 shares make 3 classes, but 2 labels"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(abc_strategy().fit_abc(std::vector<double>{1, INFINITY}), doctest::Contains("1 row hold an infinite value"),
                       invalid_input);
  CHECK_THROWS_AS(abc_strategy().fit_abc(std::vector<double>{}), invalid_input);
}
