#pragma once
// The exceptions tierkit throws. The library never prints, exits or asserts on user input;
// every message names the function, the argument or column, what was expected, what was
// found, and how many rows are affected.
//
// Every one of them is a tierkit::error, so an application catches all of tierkit's errors
// with `catch (const tierkit::error& e)`, and each is also the std exception it has always
// been (invalid_input and schema_error std::invalid_argument, format_error and cancelled
// std::runtime_error), so `catch (const std::exception&)` and the std types keep working.
//
// tierkit::error is a second base that does not derive from std::exception: the std type
// already brings one std::exception, and a second (through tierkit::error) would make the
// conversion to std::exception ambiguous, so `catch (const std::exception&)` would no
// longer match. error::what() is overridden by each error with the std type's what(), so
// both bases give the same message.
//
// Python has the same hierarchy under tierkit.TierkitError (bindings/bind_errors.cpp):
// invalid_input -> InvalidInput, schema_error -> SchemaError, format_error -> FormatError
// (each also a ValueError), not_converged -> NotConverged (an InvalidInput), any other
// tierkit::error -> TierkitError. cancelled is not a TierkitError there: it becomes the
// exception Python's signal handler raised (KeyboardInterrupt for Ctrl-C), since in Python
// cancellation only comes from that handler. docs/cpp.md has the table.
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tierkit {

class error {
 public:
  virtual ~error() = default;
  // The message, as the std base's what() gives it.
  virtual const char* what() const noexcept = 0;

 protected:
  error() = default;
  error(const error&) = default;
  error& operator=(const error&) = default;
};

// Row-level problems in otherwise well-formed input: nulls where a value is required, NaN
// or infinite amounts, transactions after as_of, duplicate keys, empty input.
class invalid_input : public std::invalid_argument, public error {
 public:
  using std::invalid_argument::invalid_argument;
  const char* what() const noexcept override { return std::invalid_argument::what(); }
};

// Shape problems: a missing column, an unsupported column type, columns of different
// lengths, batches whose key types disagree.
class schema_error : public std::invalid_argument, public error {
 public:
  using std::invalid_argument::invalid_argument;
  const char* what() const noexcept override { return std::invalid_argument::what(); }
};

// Bytes or files that do not hold a valid tierkit object of a readable format version.
// A std::runtime_error in C++ (the bytes, not the call, are wrong); Python's FormatError is
// a ValueError, as Python raises for undecodable data (json, pickle).
class format_error : public std::runtime_error, public error {
 public:
  using std::runtime_error::runtime_error;
  const char* what() const noexcept override { return std::runtime_error::what(); }
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
class cancelled : public std::runtime_error, public error {
 public:
  using std::runtime_error::runtime_error;
  const char* what() const noexcept override { return std::runtime_error::what(); }
};

}  // namespace tierkit
