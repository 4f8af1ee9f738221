#pragma once
// Special functions of the lifetime-value models: digamma, log-gamma with sign, the Gauss
// hypergeometric function 2F1 in log-space, and the Gauss-Legendre panels that integrate
// the Pareto/NBD dropout term. Internal (src/strategies only).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace tierkit::detail {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

// psi(x) for x > 0: recurrence up to 10, then the asymptotic series through B12 (the
// first term left out, x^-14 / 12, is below 1e-15 there; from 6 it was 1e-12).
inline double digamma(double x) noexcept {
  double r = 0.0;
  while (x < 10.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  const double t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 +
                                                                                             f * 691.0 / 32760)))));
  return r + std::log(x) - 0.5 / x + t;
}

// psi'(x) (trigamma) for x > 0: recurrence up to 10, then the asymptotic series in the
// Bernoulli numbers through B14 (the first term left out is below 1e-16 of the value
// there). The BG/NBD fit's analytic Hessian uses it.
inline double trigamma(double x) noexcept {
  double r = 0.0;
  while (x < 10.0) {
    r += 1.0 / (x * x);
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  const double t = f * (1.0 / 6 + f * (-1.0 / 30 + f * (1.0 / 42 + f * (-1.0 / 30 + f * (5.0 / 66 + f * (-691.0 / 2730 +
                                                                                                      f * 7.0 / 6))))));
  return r + 1.0 / x + 0.5 * f + t / x;
}

// log |Gamma(x)| and the sign of Gamma(x); sign 0 at the poles (x a non-positive integer),
// where 1 / Gamma(x) = 0.
struct log_gamma_value {
  double log_abs;
  int sign;
};
inline log_gamma_value log_gamma(double x) noexcept {
  if (x <= 0 && x == std::floor(x)) return {std::numeric_limits<double>::infinity(), 0};
  if (x > 0) return {std::lgamma(x), 1};
  // Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
  const double s = std::sin(M_PI * (x - 2.0 * std::floor(x / 2.0)));
  return {std::log(M_PI / std::fabs(s)) - std::lgamma(1.0 - x), s > 0 ? 1 : -1};
}

// A number as sign * exp(log_abs); sign 0 is zero.
struct log_value {
  double log_abs = -std::numeric_limits<double>::infinity();
  int sign = 0;
  double value() const noexcept { return sign == 0 ? 0.0 : sign * std::exp(log_abs); }
};

inline log_value log_add(log_value a, log_value b) noexcept {
  if (a.sign == 0) return b;
  if (b.sign == 0) return a;
  if (a.log_abs < b.log_abs) std::swap(a, b);
  const double r = std::exp(b.log_abs - a.log_abs);
  if (a.sign == b.sign) return {a.log_abs + std::log1p(r), a.sign};
  if (r == 1.0) return {};
  return {a.log_abs + std::log1p(-r), a.sign};
}

// The Maclaurin series of 2F1(a, b; c; z) for 0 <= z < 1, summed with a running scale so
// that sums far beyond the range of doubles (parameters in the thousands) stay exact in
// log-space. Terms stop when the tail, bounded by the geometric series of the current term
// ratio (or z, which the ratio tends to, if larger), is below 1e-17 of the sum. Returns sign 0 with log_abs NaN when max_terms do not
// suffice.
inline log_value hyp2f1_series(double a, double b, double c, double z, std::int64_t max_terms) noexcept {
  double term = 1.0, sum = 1.0, scale = 0.0;  // value = sum * exp(scale)
  constexpr double big = 1e200;
  for (std::int64_t k = 0; k < max_terms; ++k) {
    const double kk = static_cast<double>(k);
    const double ratio = (a + kk) * (b + kk) / ((c + kk) * (kk + 1.0)) * z;
    term *= ratio;
    sum += term;
    if (term == 0.0) break;  // a or b a non-positive integer: a polynomial
    if (std::fabs(sum) > big || std::fabs(term) > big) {
      sum /= big;
      term /= big;
      scale += std::log(big);
    }
    const double next = std::fabs((a + kk + 1) * (b + kk + 1) / ((c + kk + 1) * (kk + 2.0)) * z);
    // Far out the ratio tends to z, from above or below: max(next, z) bounds what follows.
    const double q = std::max(next, z);
    if (next < 1.0 && q < 1.0) {
      const double tail = std::fabs(term) * q / (1.0 - q);
      if (tail <= 1e-17 * std::fabs(sum)) {
        if (sum == 0.0) return {};
        return {std::log(std::fabs(sum)) + scale, sum > 0 ? 1 : -1};
      }
    }
  }
  if (term == 0.0 && sum != 0.0) return {std::log(std::fabs(sum)) + scale, sum > 0 ? 1 : -1};
  return {nan_value, 0};
}

// 2F1(a, b; c; z) for real a, b, c (c not a non-positive integer) and 0 <= z < 1, in
// log-space. Policy: z <= 0.5 by the series in z; above, by the connection formula to
// 1 - z (two series in 1 - z < 0.5, gamma factors in log-space) when c - a - b is at least
// 0.01 from an integer; when it is closer, by the series in z while it converges within
// 4e6 terms, else by the connection formula at c +- h and c +- 2h (h = 0.02), combined by
// Richardson extrapolation (error O(h^4)). Returns NaN (sign 0, log_abs NaN) outside that.
inline log_value hyp2f1_connection(double a, double b, double c, double z) noexcept {
  const double d = c - a - b;
  const log_gamma_value gc = log_gamma(c), gd = log_gamma(d), gmd = log_gamma(-d);
  const log_gamma_value gca = log_gamma(c - a), gcb = log_gamma(c - b), ga = log_gamma(a), gb = log_gamma(b);
  const double w = 1.0 - z;
  log_value t1, t2;
  if (gca.sign != 0 && gcb.sign != 0) {  // 1 / Gamma(c - a) or 1 / Gamma(c - b) = 0: no term
    const log_value f = hyp2f1_series(a, b, 1.0 - d, w, 100000);
    if (std::isnan(f.log_abs)) return f;
    t1 = {gc.log_abs + gd.log_abs - gca.log_abs - gcb.log_abs + f.log_abs, gc.sign * gd.sign * gca.sign * gcb.sign * f.sign};
  }
  if (ga.sign != 0 && gb.sign != 0) {
    const log_value f = hyp2f1_series(c - a, c - b, 1.0 + d, w, 100000);
    if (std::isnan(f.log_abs)) return f;
    t2 = {d * std::log(w) + gc.log_abs + gmd.log_abs - ga.log_abs - gb.log_abs + f.log_abs,
          gc.sign * gmd.sign * ga.sign * gb.sign * f.sign};
  }
  return log_add(t1, t2);
}

inline log_value hyp2f1(double a, double b, double c, double z) noexcept {
  if (z == 0.0) return {0.0, 1};
  if (!(z > 0.0 && z < 1.0)) return {nan_value, 0};
  if (z <= 0.5) return hyp2f1_series(a, b, c, z, 4000000);
  const double d = c - a - b;
  if (std::fabs(d - std::nearbyint(d)) >= 0.01) return hyp2f1_connection(a, b, c, z);
  const double needed = 45.0 / -std::log(z) + std::fabs(a) + std::fabs(b);
  if (needed < 4e6) return hyp2f1_series(a, b, c, z, 4000000);
  const double h = 0.02;
  const double s1 = 0.5 * (hyp2f1_connection(a, b, c + h, z).value() + hyp2f1_connection(a, b, c - h, z).value());
  const double s2 = 0.5 * (hyp2f1_connection(a, b, c + 2 * h, z).value() + hyp2f1_connection(a, b, c - 2 * h, z).value());
  const double v = (4.0 * s1 - s2) / 3.0;
  if (!std::isfinite(v)) return {nan_value, 0};
  if (v == 0.0) return {};
  return {std::log(std::fabs(v)), v > 0 ? 1 : -1};
}

// Gauss-Legendre, 10 nodes on [-1, 1] (half of them; the rule is symmetric).
constexpr double gl10_x[5] = {0.1488743389816312108848260, 0.4333953941292471907992659, 0.6794095682990244062343274,
                              0.8650633666889845107320967, 0.9739065285171717200779640};
constexpr double gl10_w[5] = {0.2955242247147528701738930, 0.2692667193099963550912269, 0.2190863625159820439955349,
                              0.1494513491505805931457763, 0.0666713443086881375935688};

}  // namespace tierkit::detail
