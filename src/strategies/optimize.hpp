#pragma once
// Minimization for the maximum-likelihood fits: BFGS on an inverse-Hessian estimate with a
// backtracking (Armijo) line search, then Newton steps on the finite-difference Hessian of
// the analytic gradient to polish the optimum to what doubles hold; or, for an objective
// with an analytic Hessian, Newton's method from the start. Internal.
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace tierkit::detail {

struct optimize_settings {
  int max_iterations = 1000;
  double gradient_tolerance = 1e-8;  // on the largest gradient component
  double max_step = 4.0;             // largest change of one log-parameter in one step
};

struct optimize_result {
  Eigen::VectorXd u;
  double f = 0;
  Eigen::VectorXd g;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
  std::string why;  // how it stopped
};

// f(u, &grad) returns the objective and fills the gradient; a non-finite value marks a point
// the objective cannot take (the line search steps back from it).
template <class F>
optimize_result minimize_bfgs(F&& f, Eigen::VectorXd u, const optimize_settings& s) {
  const Eigen::Index n = u.size();
  optimize_result r;
  Eigen::VectorXd g(n), g_new(n), u_new(n);
  double fx = f(u, &g);
  r.evaluations = 1;
  if (!std::isfinite(fx) || !g.allFinite()) {
    r.u = u;
    r.f = fx;
    r.g = g;
    r.why = "the objective is not finite at the starting point";
    return r;
  }
  Eigen::MatrixXd H = Eigen::MatrixXd::Identity(n, n);
  bool scaled = false;
  int stalls = 0;
  for (r.iterations = 0; r.iterations < s.max_iterations; ++r.iterations) {
    if (g.lpNorm<Eigen::Infinity>() <= s.gradient_tolerance) {
      r.converged = true;
      r.why = "gradient below tolerance";
      break;
    }
    Eigen::VectorXd p = -H * g;
    double slope = g.dot(p);
    if (!(slope < 0)) {  // not a descent direction: restart from steepest descent
      H.setIdentity();
      p = -g;
      slope = g.dot(p);
    }
    const double biggest = p.lpNorm<Eigen::Infinity>();
    double step = biggest > s.max_step ? s.max_step / biggest : 1.0;
    double f_new = 0;
    bool accepted = false;
    for (int tries = 0; tries < 60; ++tries) {
      u_new = u + step * p;
      f_new = f(u_new, &g_new);
      ++r.evaluations;
      if (std::isfinite(f_new) && g_new.allFinite() && f_new <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= (std::isfinite(f_new) ? 0.5 : 0.1);
    }
    if (!accepted) {
      // No decrease along the direction: at the optimum to rounding, or a bad direction.
      if (!H.isIdentity()) {
        H.setIdentity();
        if (++stalls < 3) continue;
      }
      r.why = "the line search found no decrease";
      break;
    }
    stalls = 0;
    const Eigen::VectorXd sv = u_new - u;
    const Eigen::VectorXd yv = g_new - g;
    const double sy = sv.dot(yv);
    u = u_new;
    const double f_old = fx;
    fx = f_new;
    g = g_new;
    if (sy > 1e-14 * sv.norm() * yv.norm()) {
      if (!scaled) {
        H *= sy / yv.squaredNorm();
        scaled = true;
      }
      const double rho = 1.0 / sy;
      const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(n, n);
      H = (I - rho * sv * yv.transpose()) * H * (I - rho * yv * sv.transpose()) + rho * sv * sv.transpose();
    }
    if (f_old - fx <= 1e-16 * std::fabs(fx) && sv.lpNorm<Eigen::Infinity>() < 1e-13) {
      r.why = "no further progress";
      break;
    }
  }
  if (!r.converged && r.why.empty()) r.why = "the iteration limit was reached";
  r.u = u;
  r.f = fx;
  r.g = g;
  return r;
}

// Newton's method for an objective with an analytic Hessian: f(u, &grad, &hess) returns the
// objective and fills its gradient and Hessian (a non-finite value marks a point the
// objective cannot take). Each step solves with the Hessian whose eigenvalues are replaced
// by their absolute values, floored at 1e-12 of the largest, so that a step always
// descends: through a saddle or a concave region it goes downhill instead of toward the
// critical point. Steps are capped at max_step per log-parameter and backtracked (Armijo).
// It iterates until the gradient is below polish_tolerance (the last digits that doubles
// hold, cheap once Newton converges quadratically); converged means below
// gradient_tolerance. Near the optimum the objective changes by rounding only, so a full
// step is also taken when the objective stays within 1e-12 relative and the gradient
// shrinks. `hessian` returns the Hessian at the final point.
template <class F>
optimize_result minimize_newton(F&& f, Eigen::VectorXd u, const optimize_settings& s, double polish_tolerance,
                                Eigen::MatrixXd& hessian) {
  const Eigen::Index n = u.size();
  optimize_result r;
  Eigen::VectorXd g(n), g_new(n), u_new(n);
  Eigen::MatrixXd H(n, n), H_new(n, n);
  double fx = f(u, &g, &H);
  r.evaluations = 1;
  auto finish = [&]() {
    r.converged = g.allFinite() && g.lpNorm<Eigen::Infinity>() <= s.gradient_tolerance;
    r.u = u;
    r.f = fx;
    r.g = g;
    hessian = H;
    return r;
  };
  if (!std::isfinite(fx) || !g.allFinite() || !H.allFinite()) {
    r.why = "the objective is not finite at the starting point";
    return finish();
  }
  for (r.iterations = 0;; ++r.iterations) {
    const double gnorm = g.lpNorm<Eigen::Infinity>();
    if (gnorm <= polish_tolerance) {
      r.why = "gradient below tolerance";
      break;
    }
    if (r.iterations >= s.max_iterations) {
      r.why = gnorm <= s.gradient_tolerance ? "gradient below tolerance" : "the iteration limit was reached";
      break;
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
    Eigen::VectorXd p(n);
    if (eig.info() == Eigen::Success) {
      const Eigen::VectorXd lambda = eig.eigenvalues().cwiseAbs();
      const double floor = std::max(lambda.maxCoeff() * 1e-12, std::numeric_limits<double>::min());
      p = -eig.eigenvectors() * ((eig.eigenvectors().transpose() * g).array() / lambda.array().max(floor)).matrix();
    }
    if (eig.info() != Eigen::Success || !p.allFinite()) p = -g;
    const double slope = g.dot(p);
    const double biggest = p.lpNorm<Eigen::Infinity>();
    double step = biggest > s.max_step ? s.max_step / biggest : 1.0;
    double f_new = 0;
    bool accepted = false;
    for (int tries = 0; tries < 60; ++tries) {
      u_new = u + step * p;
      f_new = f(u_new, &g_new, &H_new);
      ++r.evaluations;
      const bool finite = std::isfinite(f_new) && g_new.allFinite() && H_new.allFinite();
      if (finite && (f_new <= fx + 1e-4 * step * slope ||
                     (step == 1.0 && f_new <= fx + 1e-12 * std::fabs(fx) &&
                      g_new.lpNorm<Eigen::Infinity>() < gnorm))) {
        accepted = true;
        break;
      }
      step *= (finite ? 0.5 : 0.1);
    }
    if (!accepted) {
      r.why = gnorm <= s.gradient_tolerance ? "gradient below tolerance" : "the line search found no decrease";
      break;
    }
    const double moved = (u_new - u).lpNorm<Eigen::Infinity>();
    const double f_old = fx;
    u = u_new;
    fx = f_new;
    g = g_new;
    H = H_new;
    if (f_old - fx <= 1e-16 * std::fabs(fx) && moved < 1e-13) {
      ++r.iterations;
      r.why = g.lpNorm<Eigen::Infinity>() <= s.gradient_tolerance ? "gradient below tolerance" : "no further progress";
      break;
    }
  }
  return finish();
}

// The Hessian of f at u by central differences of its gradient (step h per coordinate),
// symmetrized.
template <class F>
Eigen::MatrixXd hessian_of_gradient(F&& f, const Eigen::VectorXd& u, double h = 1e-5) {
  const Eigen::Index n = u.size();
  Eigen::MatrixXd H(n, n);
  Eigen::VectorXd gp(n), gm(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::VectorXd up = u, um = u;
    up[i] += h;
    um[i] -= h;
    f(up, &gp);
    f(um, &gm);
    H.col(i) = (gp - gm) / (2 * h);
  }
  return 0.5 * (H + H.transpose());
}

}  // namespace tierkit::detail
