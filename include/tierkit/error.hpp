#pragma once
// The exceptions tierkit throws. The library never prints, exits or asserts on user input;
// every message names the function, the argument or column, what was expected, what was
// found, and how many rows are affected.
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tierkit {

// Row-level problems in otherwise well-formed input: nulls where a value is required, NaN
// or infinite amounts, transactions after as_of, duplicate keys, empty input.
class invalid_input : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Shape problems: a missing column, an unsupported column type, columns of different
// lengths, batches whose key types disagree.
class schema_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Bytes or files that do not hold a valid tierkit object of a readable format version.
class format_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A maximum-likelihood fit that did not converge. It is invalid_input (the data or the
// settings do not support the model); the state where the optimizer stopped travels with
// it, so that nothing is returned silently half-fitted.
class not_converged : public invalid_input {
 public:
  not_converged(const std::string& message, std::vector<std::string> names, std::vector<double> parameters,
                double log_likelihood, double gradient_norm, int iterations)
      : invalid_input(message),
        names(std::move(names)),
        parameters(std::move(parameters)),
        log_likelihood(log_likelihood),
        gradient_norm(gradient_norm),
        iterations(iterations) {}
  std::vector<std::string> names;   // parameter names
  std::vector<double> parameters;   // where the optimizer stopped (natural scale)
  double log_likelihood;            // there
  double gradient_norm;             // largest gradient component (log-parameters, per customer)
  int iterations;
};

// Long-running work stopped because the application's cancellation hook asked it to (see
// cancel.hpp). Nothing is wrong with the input.
class cancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tierkit
