#include <doctest/doctest.h>

#include <cmath>

#include "strategies/clv_math.hpp"

using namespace tierkit;

TEST_CASE("digamma and trigamma equal 20-digit values (mpmath) on both sides of where their series start") {
  struct point {
    double x, want;
  };
  for (const point p : {point{0.01, -100.56088545786867242}, point{0.5, -1.9635100260214234794},
                        point{2.4, 0.65290116970059809423}, point{6, 1.7061176684318004727},
                        point{100, 4.6001618527380874002}}) {
    CAPTURE(p.x);
    CHECK(detail::digamma(p.x) == doctest::Approx(p.want).epsilon(1e-14));
  }
  for (const point p : {point{0.01, 10001.621213528312804}, point{0.5, 4.9348022005446793094},
                        point{1, 1.6449340668482264365}, point{2.4, 0.51515250889694439943},
                        point{9.99, 0.10527695014824178439}, point{10, 0.10516633568168574612},
                        point{11, 0.095166335681685746122}, point{100, 0.010050166663333571395},
                        point{1e4, 0.00010000500016666666633}}) {
    CAPTURE(p.x);
    CHECK(detail::trigamma(p.x) == doctest::Approx(p.want).epsilon(1e-14));
  }
  // trigamma is the derivative of digamma.
  for (double x : {0.3, 3.0, 30.0}) {
    const double h = 1e-5 * x;
    CHECK(detail::trigamma(x) == doctest::Approx((detail::digamma(x + h) - detail::digamma(x - h)) / (2 * h)).epsilon(1e-8));
  }
}
