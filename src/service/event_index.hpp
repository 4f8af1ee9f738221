#pragma once
// Event logs (contacts, feedback, purchases) indexed by customer: the rows of known
// customers before as_of, grouped by customer (compressed rows) in day order, each packed
// with a small tag (a contact's channel slot, a feedback kind) into 32 bits.
//
// How: each thread reads a contiguous share of the rows in blocks (customer lookup, days,
// tags), writing a customer index and a packed value per row and counting rows per customer;
// the counts give every thread's first position per customer; a second pass scatters the
// packed values (and values) there; each customer's run is then sorted by (packed, value)
// where it did not arrive in order. The index is the same whatever the thread count, and
// (after the sort) whatever the row order.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "detail/key_dictionary.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit::detail {

inline constexpr unsigned event_tag_bits = 10;
inline constexpr std::uint32_t event_tag_mask = (1u << event_tag_bits) - 1;
// A tag that leaves the row out (an attempt, a feedback kind not measured).
inline constexpr std::uint16_t reject_tag = 0xffff;

inline std::uint32_t pack_event(std::int32_t day, std::uint32_t tag) noexcept {
  return (static_cast<std::uint32_t>(day - first_supported_day) << event_tag_bits) | tag;
}
inline std::int32_t event_day(std::uint32_t packed) noexcept {
  return static_cast<std::int32_t>(packed >> event_tag_bits) + first_supported_day;
}
inline std::uint32_t event_tag(std::uint32_t packed) noexcept { return packed & event_tag_mask; }
// The smallest packed value of a day (for lower_bound on days).
inline std::uint32_t day_floor(std::int32_t day) noexcept { return pack_event(day, 0); }

// Fills tags[0, n) for rows [begin, begin + n) of the log (reject_tag leaves a row out).
using event_tagger = std::function<void(std::int64_t begin, std::int64_t n, std::uint16_t* tags)>;

struct indexed_events {
  std::vector<std::int64_t> offsets;  // customers + 1
  std::vector<std::uint32_t> packed;  // in day order per customer
  std::vector<double> values;         // aligned with packed when a value column was given
  std::int64_t rows_read = 0;
  std::int64_t rows_used = 0;
  std::int64_t rows_dropped = 0;
  std::vector<row_issue> dropped;
  std::int64_t unknown_customers = 0;
  std::int64_t after_as_of = 0;
  std::int64_t rejected = 0;          // rows the tagger left out
};

struct event_source {
  const char* function = "tierkit";
  const column_view* customer = nullptr;
  const column_view* time = nullptr;
  const column_view* value = nullptr;  // optional: numbers (null: NaN)
  const time_zone* zone = nullptr;
  std::int32_t as_of = 0;
  invalid_policy on_invalid = invalid_policy::drop;
  unsigned threads = 0;
};

// `customers` holds the n known customers (index = customer). Throws schema_error for key
// columns of the other kind or unreadable types, invalid_input under on_invalid = raise
// when any row is invalid or names an unknown customer.
indexed_events index_events(const key_dictionary& customers, std::size_t n, const event_source& source,
                            const event_tagger& tagger);

// A dictionary of the keys, index = position; repeated keys counted in *repeated.
key_dictionary dictionary_of(const customer_keys& keys, std::int64_t* repeated);

}  // namespace tierkit::detail
