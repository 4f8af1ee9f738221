// The exceptions: each is a tierkit::error and the std type it has always been.
#include <doctest/doctest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "tierkit/error.hpp"

using namespace tierkit;

namespace {
// Throws `e` and reports which handlers catch it, in separate try blocks.
template <class E, class Std>
void check_catchable(const E& e, const char* message) {
  try {
    throw e;
  } catch (const tierkit::error& caught) {
    CHECK(std::string(caught.what()) == message);
    CHECK(dynamic_cast<const E*>(&caught) != nullptr);  // the object itself, not a copy of a base
  } catch (...) {
    FAIL("not caught as tierkit::error");
  }
  try {
    throw e;
  } catch (const Std& caught) {
    CHECK(std::string(caught.what()) == message);
  } catch (...) {
    FAIL("not caught as its std type");
  }
  try {
    throw e;
  } catch (const std::exception& caught) {  // one std::exception base, so no ambiguity
    CHECK(std::string(caught.what()) == message);
  } catch (...) {
    FAIL("not caught as std::exception");
  }
  // Caught as tierkit::error and rethrown, it is still the std type.
  try {
    try {
      throw e;
    } catch (const tierkit::error&) {
      throw;
    }
  } catch (const Std& caught) {
    CHECK(std::string(caught.what()) == message);
  } catch (...) {
    FAIL("rethrown, not caught as its std type");
  }
}
}  // namespace

TEST_CASE("every tierkit exception is a tierkit::error and its std type") {
  check_catchable<invalid_input, std::invalid_argument>(invalid_input("f: column 'amount': 3 rows are NaN"),
                                                        "f: column 'amount': 3 rows are NaN");
  check_catchable<schema_error, std::invalid_argument>(schema_error("f: no column 'customer'"),
                                                       "f: no column 'customer'");
  check_catchable<format_error, std::runtime_error>(format_error("f: damaged bytes"), "f: damaged bytes");
  check_catchable<cancelled, std::runtime_error>(cancelled("f: cancelled"), "f: cancelled");
  const not_converged nc("f: did not converge", {"r", "alpha"}, {1.0, 2.0}, -10.0, 0.5, 200);
  check_catchable<not_converged, invalid_input>(nc, "f: did not converge");
  check_catchable<not_converged, std::invalid_argument>(nc, "f: did not converge");
  try {
    throw nc;
  } catch (const tierkit::error& e) {
    const auto* n = dynamic_cast<const not_converged*>(&e);
    REQUIRE(n != nullptr);
    CHECK(n->iterations == 200);
    CHECK(n->names.size() == 2);
  }
}

TEST_CASE("the hierarchy, at compile time") {
  static_assert(!std::is_base_of<std::exception, tierkit::error>::value,
                "a second std::exception base would make catch (std::exception&) ambiguous");
  static_assert(std::is_abstract<tierkit::error>::value, "only the concrete errors are thrown");
  static_assert(std::is_base_of<tierkit::error, invalid_input>::value, "");
  static_assert(std::is_base_of<tierkit::error, schema_error>::value, "");
  static_assert(std::is_base_of<tierkit::error, format_error>::value, "");
  static_assert(std::is_base_of<tierkit::error, cancelled>::value, "");
  static_assert(std::is_base_of<tierkit::error, not_converged>::value, "");
  static_assert(std::is_base_of<std::invalid_argument, invalid_input>::value, "");
  static_assert(std::is_base_of<std::invalid_argument, schema_error>::value, "");
  static_assert(std::is_base_of<std::runtime_error, format_error>::value, "");
  static_assert(std::is_base_of<std::runtime_error, cancelled>::value, "");
  static_assert(std::is_base_of<invalid_input, not_converged>::value, "");
  CHECK(true);
}
