#pragma once
// The exceptions tierkit throws. The library never prints, exits or asserts on user input;
// every message names the function, the argument or column, what was expected, what was
// found, and how many rows are affected.
#include <stdexcept>
#include <string>

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

// Long-running work stopped because the application's cancellation hook asked it to (see
// cancel.hpp). Nothing is wrong with the input.
class cancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tierkit
