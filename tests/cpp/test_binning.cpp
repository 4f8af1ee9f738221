#include <doctest/doctest.h>
#include <tierkit/binning.hpp>
#include <tierkit/error.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace tierkit;

namespace {
std::vector<double> one_to(int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}
}  // namespace

TEST_CASE("quantile cut points are order statistics and bins are right-closed") {
  const fitted_bins b = fit_bins(one_to(10), {}, "x");
  CHECK(b.cuts == std::vector<double>{2, 4, 6, 8});
  CHECK(b.fit_counts == std::vector<std::int64_t>{2, 2, 2, 2, 2});
  CHECK(b.score(2) == 1);
  CHECK(b.score(2.5) == 2);
  CHECK(b.score(10) == 5);
  CHECK(b.score(-100) == 1);   // beyond the fitted range: the outer bins are open
  CHECK(b.score(1e9) == 5);
  CHECK(b.score(std::nan("")) == 0);
  CHECK(b.empty_scores().empty());
}

TEST_CASE("fitting in place leaves missing values out and agrees with fitting a copy") {
  std::mt19937_64 rng(9);
  std::vector<double> v(50000);
  for (double& x : v) x = rng() % 10 == 0 ? std::nan("") : static_cast<double>(rng() % 1000) / 7.0;
  const std::int64_t missing = std::count_if(v.begin(), v.end(), [](double x) { return std::isnan(x); });
  const fitted_bins copied = fit_bins(v, {}, "x");
  std::vector<double> mine = v;
  const fitted_bins in_place = fit_bins(std::move(mine), {}, "x");
  CHECK(in_place.cuts == copied.cuts);
  CHECK(in_place.fit_counts == copied.fit_counts);
  CHECK(in_place.fit_missing == missing);
  CHECK(in_place.fit_rows == static_cast<std::int64_t>(v.size()) - missing);
  std::vector<double> bad = {1, HUGE_VAL, std::nan(""), -HUGE_VAL};
  CHECK_THROWS_WITH_AS(fit_bins(std::move(bad), {}, "x"), doctest::Contains("2 rows hold an infinite value"),
                       invalid_input);
}

TEST_CASE("ties at a cut point get the same score, and collapsed bins are reported empty") {
  const fitted_bins b = fit_bins({1, 1, 1, 1, 1, 1, 2, 3, 4, 5}, {}, "x");
  CHECK(b.cuts == std::vector<double>{1, 1, 1, 3});
  CHECK(b.score(1) == 1);
  CHECK(b.score(2) == 4);  // scores are not renumbered
  CHECK(b.empty_scores() == std::vector<int>{2, 3});
  CHECK(b.fit_counts == std::vector<std::int64_t>{6, 0, 0, 2, 2});
  const fitted_bins same = fit_bins({7, 7, 7}, {}, "x");
  CHECK(same.empty_scores() == std::vector<int>{2, 3, 4, 5});
  CHECK(same.score(7) == 1);
}

TEST_CASE("reversed direction, left closure, percentiles, fixed cuts, mean and median") {
  binning_config rev;
  rev.higher_is_better = false;
  const fitted_bins r = fit_bins(one_to(10), rev, "recency");
  CHECK(r.score(1) == 5);
  CHECK(r.score(10) == 1);
  CHECK(r.bounds(5) == std::pair<double, double>{-INFINITY, 2});

  binning_config left;
  left.closed = interval_closure::left;
  CHECK(fit_bins(one_to(10), left, "x").score(2) == 2);

  binning_config pct;
  pct.method = bin_method::percentiles;
  pct.percentiles = {50};
  CHECK(fit_bins(one_to(10), pct, "x").cuts == std::vector<double>{5});
  pct.percentiles = {10, 90};
  CHECK(fit_bins(one_to(10), pct, "x").cuts == std::vector<double>{1, 9});

  binning_config fixed;
  fixed.method = bin_method::fixed;
  fixed.cuts = {3, 7};
  const fitted_bins f = fit_bins(one_to(10), fixed, "x");
  CHECK(f.bins == 3);
  CHECK(f.score(3) == 1);
  CHECK(f.score(7.5) == 3);

  binning_config mean;
  mean.method = bin_method::mean;
  mean.closed = interval_closure::left;
  const fitted_bins m = fit_bins({1, 2, 3, 10}, mean, "x");
  CHECK(m.cuts == std::vector<double>{4});
  CHECK(m.score(4) == 2);
  binning_config median;
  median.method = bin_method::median;
  CHECK(fit_bins({1, 2, 3, 10}, median, "x").cuts == std::vector<double>{2});  // lower median
}

TEST_CASE("R's type-7 quantiles with +1 reproduce rfm's bins() on mtcars$mpg") {
  const std::vector<double> mpg = {21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8,
                                   16.4, 17.3, 15.2, 10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5,
                                   15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4};
  binning_config r;
  r.rule = quantile_rule::linear_r;
  r.cut_offset = 1;
  r.closed = interval_closure::left;
  const fitted_bins b = fit_bins(mpg, r, "mpg");
  REQUIRE(b.cuts.size() == 4);
  // rfm's tests/testthat/test-utils.R: expected <- c(16.20, 18.92, 22.00, 25.08)
  CHECK(b.cuts[0] == doctest::Approx(16.20));
  CHECK(b.cuts[1] == doctest::Approx(18.92));
  CHECK(b.cuts[2] == doctest::Approx(22.00));
  CHECK(b.cuts[3] == doctest::Approx(25.08));
}

TEST_CASE("numpy's linear quantiles, and renumbering when duplicate edges drop") {
  binning_config q;
  q.bins = 4;
  q.rule = quantile_rule::linear_numpy;
  CHECK(fit_bins({1, 2, 3, 4}, q, "x").cuts == std::vector<double>{1.75, 2.5, 3.25});
  q.collapse = collapse_policy::renumber;
  const fitted_bins b = fit_bins({1, 1, 1, 1, 2, 3}, q, "x");
  CHECK(b.cuts == std::vector<double>{1.75});
  CHECK(b.bins == 2);
  CHECK(b.requested_bins == 4);
  CHECK(b.score(1) == 1);
  CHECK(b.score(3) == 2);
}

TEST_CASE("bad binning settings and data are named") {
  binning_config b;
  b.bins = 1;
  CHECK_THROWS_WITH_AS(fit_bins({1}, b, "tierkit.rfm frequency"),
                       doctest::Contains("tierkit.rfm frequency: bins must be between 2 and 100"),
                       invalid_input);
  binning_config f;
  f.method = bin_method::fixed;
  f.cuts = {3, 3};
  CHECK_THROWS_WITH_AS(fit_bins({1}, f, "x"), doctest::Contains("strictly increasing"), invalid_input);
  CHECK_THROWS_WITH_AS(fit_bins({1, INFINITY, -INFINITY}, {}, "x"),
                       doctest::Contains("2 rows hold an infinite value"), invalid_input);
  CHECK_THROWS_WITH_AS(fit_bins({NAN, NAN}, {}, "x"), doctest::Contains("no values to fit (2 rows missing)"),
                       invalid_input);
  CHECK(parse_bin_method("median") == bin_method::median);
  CHECK_THROWS_AS(parse_closure("both"), invalid_input);
}

TEST_CASE("cut points of whole numbers by counting equal order statistics of a sorted copy") {
  std::mt19937_64 rng(17);
  for (const double offset : {0.0, -300.0, 1e15}) {
    std::vector<double> v;
    for (int i = 0; i < 10007; ++i) v.push_back(offset + static_cast<double>(rng() % 2300));
    if (offset == -300.0) v[5] = -0.0;  // a signed zero: found by selection, same answer
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = v.size();
    binning_config c;  // quintiles, inverted CDF
    const fitted_bins b = fit_bins(v, c, "x");
    REQUIRE(b.cuts.size() == 4);
    for (std::size_t j = 1; j <= 4; ++j) CHECK(b.cuts[j - 1] == sorted[(j * n + 4) / 5 - 1]);
    c.rule = quantile_rule::linear_r;  // R type 7: 1 + (n - 1) p, interpolated
    const fitted_bins r = fit_bins(v, c, "x");
    for (std::size_t j = 1; j <= 4; ++j) {
      const double index = 1.0 + static_cast<double>(n - 1) * (static_cast<double>(j) * (1.0 / 5));  // p as R steps it
      const auto lo = static_cast<std::size_t>(std::floor(index));
      const double h = index - static_cast<double>(lo);
      const double want = h == 0 ? sorted[lo - 1] : (1 - h) * sorted[lo - 1] + h * sorted[lo];
      CHECK(r.cuts[j - 1] == doctest::Approx(want).epsilon(1e-15));
    }
    binning_config m;
    m.method = bin_method::median;
    CHECK(fit_bins(v, m, "x").cuts[0] == sorted[(n + 1) / 2 - 1]);
  }
}

TEST_CASE("cut points by selection between placed ranks equal a sorted copy's, in any order") {
  std::mt19937_64 rng(23);
  std::lognormal_distribution<double> ln(3.0, 1.5);
  std::vector<double> v;
  for (int i = 0; i < 20011; ++i) v.push_back(std::round(ln(rng) * 100) / 100);  // ties too
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = v.size();
  binning_config c;
  c.method = bin_method::percentiles;
  // Levels out of order and close together: each selection runs between earlier ones.
  c.percentiles = {3, 10, 11, 50, 50.5, 90, 97, 99.9};
  const fitted_bins b = fit_bins(v, c, "x");
  REQUIRE(b.cuts.size() == c.percentiles.size());
  for (std::size_t j = 0; j < c.percentiles.size(); ++j) {
    const auto rank = static_cast<std::size_t>(std::ceil(c.percentiles[j] / 100.0 * static_cast<double>(n) - 1e-9));
    CHECK(b.cuts[j] == sorted[rank - 1]);
  }
  c.method = bin_method::quantiles;
  c.bins = 10;
  c.rule = quantile_rule::linear_numpy;  // two neighbouring order statistics per cut
  const fitted_bins d = fit_bins(v, c, "x");
  for (std::size_t j = 1; j < 10; ++j) {
    const double vi = static_cast<double>(n) * (static_cast<double>(j) / 10) + (1 - static_cast<double>(j) / 10) - 1;
    const auto lo = static_cast<std::size_t>(std::floor(vi));
    const double g = vi - static_cast<double>(lo);
    CHECK(d.cuts[j - 1] == doctest::Approx(sorted[lo] + (sorted[lo + 1] - sorted[lo]) * g).epsilon(1e-12));
  }
}

TEST_CASE("a score is the number of cuts the value passes, for both closures and many cuts") {
  std::mt19937_64 rng(29);
  for (const int bins : {2, 5, 17, 18, 40}) {
    for (const auto closure : {interval_closure::right, interval_closure::left}) {
      fitted_bins f;
      f.bins = bins;
      f.closed = closure;
      f.higher_is_better = rng() % 2 == 0;
      for (int j = 0; j + 1 < bins; ++j) f.cuts.push_back(static_cast<double>(rng() % 20));  // repeats
      std::sort(f.cuts.begin(), f.cuts.end());
      for (int i = 0; i < 500; ++i) {
        const double x = static_cast<double>(rng() % 44) / 2 - 1;  // on and between the cuts
        int b = 0;  // the definition: walk the cuts while x passes them
        while (b < bins - 1 && (closure == interval_closure::right ? x > f.cuts[b] : x >= f.cuts[b])) ++b;
        CHECK(f.score(x) == (f.higher_is_better ? b + 1 : bins - b));
      }
      CHECK(f.score(std::nan("")) == 0);
    }
  }
}
