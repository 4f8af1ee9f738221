#pragma once
// Enum names as tables. An enum with text names (settings read from Python and policy
// files, names written into results) lists its values and names once, in a table its
// name and parse functions both read: the two cannot drift apart, and the choices an error
// message lists are the table itself.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tierkit/error.hpp"

namespace tierkit::detail {

template <class E>
struct enum_entry {
  E value;
  const char* name;
};

template <class E, std::size_t N>
struct enum_table {
  enum_entry<E> entries[N];

  // The name of `v`; `fallback` for a value not in the table (a number cast to the enum).
  constexpr const char* name(E v, const char* fallback = "unknown") const noexcept {
    for (const enum_entry<E>& e : entries) {
      if (e.value == v) return e.name;
    }
    return fallback;
  }

  std::optional<E> find(std::string_view name) const noexcept {
    for (const enum_entry<E>& e : entries) {
      if (name == e.name) return e.value;
    }
    return std::nullopt;
  }

  // The names quoted, in table order: "'a', 'b' or 'c'".
  std::string choices() const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) out += i + 1 == N ? " or " : ", ";
      out += '\'';
      out += entries[i].name;
      out += '\'';
    }
    return out;
  }

  // The value named `name`; otherwise tierkit::invalid_input "<what> must be <choices>; got
  // '<name>'" (`what` names the function and the setting).
  E parse(const std::string& name, const std::string& what) const {
    if (const std::optional<E> v = find(name)) return *v;
    throw invalid_input(what + " must be " + choices() + "; got '" + name + "'");
  }
};

}  // namespace tierkit::detail
