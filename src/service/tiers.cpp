#include "tierkit/service/tiers.hpp"

#include <algorithm>

#include "detail/decode.hpp"
#include "detail/key_dictionary.hpp"
#include "service/event_index.hpp"  // dictionary_of
#include "detail/text.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/error.hpp"
#include "tierkit/over_time/ledger.hpp"

namespace tierkit {

namespace {

// Repeated keys of a key list: how many rows repeat an earlier key.
std::int64_t repeated_keys(const customer_keys& k) {
  std::int64_t repeated = 0;
  detail::dictionary_of(k, &repeated);  // compact integer keys: a direct table, no hashing
  return repeated;
}

}  // namespace

customer_keys keys_of_column(const column_view& c, const char* function) {
  const data_type t = c.type == data_type::dictionary && c.dictionary ? c.dictionary->type : c.type;
  const column_view ix = c.type == data_type::dictionary ? detail::dictionary_indices(c) : column_view{};
  std::int64_t nulls = 0;
  for (std::int64_t i = 0; i < c.length; ++i) {
    if (!c.is_valid(i)) {
      ++nulls;
    } else if (c.type == data_type::dictionary) {
      const std::int64_t k = detail::int_value(ix, i);
      nulls += k < 0 || k >= c.dictionary->length || !c.dictionary->is_valid(k);
    }
  }
  if (nulls) {
    throw invalid_input(std::string(function) + ": the key column " + c.describe() + " has " + detail::rows_text(nulls) +
                        " without a key (null)");
  }
  customer_keys k;
  if (is_string_like(t)) {
    k.is_string = true;
    k.offsets.reserve(static_cast<std::size_t>(c.length) + 1);
    k.offsets.push_back(0);
    for (std::int64_t i = 0; i < c.length; ++i) {
      const std::string_view s = c.type == data_type::dictionary
                                     ? detail::string_value(*c.dictionary, detail::int_value(ix, i))
                                     : detail::string_value(c, i);
      k.chars.append(s.data(), s.size());
      k.offsets.push_back(static_cast<std::int64_t>(k.chars.size()));
    }
    return k;
  }
  if (!is_integer(t)) {
    throw schema_error(std::string(function) + ": the key column " + c.describe() + " must hold integers or text");
  }
  if (t == data_type::uint64) {
    throw schema_error(std::string(function) + ": the key column " + c.describe() +
                       " holds uint64 values; keys are read as int64 (cast the column)");
  }
  k.ints.resize(static_cast<std::size_t>(c.length));
  if (c.type == data_type::dictionary) {
    for (std::int64_t i = 0; i < c.length; ++i) {
      k.ints[static_cast<std::size_t>(i)] = detail::int_value(*c.dictionary, detail::int_value(ix, i));
    }
  } else {
    detail::for_each_int(c, 0, c.length, [&](std::int64_t i, std::int64_t v) { k.ints[static_cast<std::size_t>(i)] = v; });
  }
  return k;
}

std::vector<std::int64_t> rows_of(const customer_keys& wanted, const customer_keys& table, std::int64_t* repeated) {
  std::vector<std::int64_t> out(wanted.size(), -1);
  if (wanted.size() && table.size() && wanted.is_string != table.is_string) {
    throw schema_error(std::string("tierkit: a table keyed by ") + (table.is_string ? "text" : "integers") +
                       " cannot be matched with customers keyed by " + (wanted.is_string ? "text" : "integers"));
  }
  const detail::key_dictionary d = detail::dictionary_of(table, repeated);
  // The dictionary numbers keys in order of first appearance: index -> first row.
  std::vector<std::int64_t> first_row(d.size(), -1);
  for (std::size_t r = 0; r < table.size(); ++r) {
    const std::uint32_t k = table.is_string ? d.find(table.string_at(r)) : d.find(table.ints[r]);
    if (first_row[k] < 0) first_row[k] = static_cast<std::int64_t>(r);
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const std::uint32_t k = wanted.is_string ? d.find(wanted.string_at(i)) : d.find(wanted.ints[i]);
    if (k != detail::key_dictionary::no_index) out[i] = first_row[k];
  }
  return out;
}

service_tiers service_tiers::fixed(customer_keys keys, std::vector<std::string> tier_names,
                                   std::vector<std::int32_t> tier, std::vector<std::int32_t> since,
                                   const char* function) {
  const std::string fn(function);
  const std::size_t n = keys.size();
  if (tier.size() != n || since.size() != n) {
    throw invalid_input(fn + ": tier and since need one value per customer (" + detail::format_count(
                            static_cast<std::int64_t>(n)) + " customers; got " +
                        detail::format_count(static_cast<std::int64_t>(tier.size())) + " tiers and " +
                        detail::format_count(static_cast<std::int64_t>(since.size())) + " days)");
  }
  service_tiers t;
  t.customers = std::move(keys);
  t.tier_names = std::move(tier_names);
  t.offsets.resize(n + 1);
  std::int64_t bad_tier = 0;
  std::int64_t bad_day = 0;
  const auto tiers = static_cast<std::int32_t>(t.tier_names.size());
  t.tier.reserve(n);
  t.from.reserve(n);
  t.to.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    t.offsets[i] = static_cast<std::int64_t>(t.tier.size());
    if (tier[i] < 0) continue;
    if (tier[i] >= tiers) {
      ++bad_tier;
      continue;
    }
    if (!is_supported_day(since[i])) {
      ++bad_day;
      continue;
    }
    t.tier.push_back(tier[i]);
    t.from.push_back(since[i]);
    t.to.push_back(no_day);
  }
  t.offsets[n] = static_cast<std::int64_t>(t.tier.size());
  if (bad_tier) {
    throw invalid_input(fn + ": " + detail::rows_text(bad_tier) + " name a tier index beyond the " +
                        std::to_string(tiers) + " tiers");
  }
  if (bad_day) {
    throw invalid_input(fn + ": since: " + detail::rows_text(bad_day) +
                        " hold a day outside 0001-01-01 to 9999-12-31 (or none) for a customer with a tier");
  }
  t.validate(function);
  return t;
}

service_tiers service_tiers::from_ledger(const tier_ledger& ledger) {
  service_tiers t;
  t.customers = ledger.keys();
  // Rank: the latest version's tiers, then the others in order of first use.
  const std::vector<std::string>& names = ledger.tier_names();
  if (!ledger.versions().empty()) t.tier_names = ledger.versions().back().rules.tiers;
  for (const std::string& n : names) {
    if (std::find(t.tier_names.begin(), t.tier_names.end(), n) == t.tier_names.end()) t.tier_names.push_back(n);
  }
  std::vector<std::int32_t> to_rank(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    to_rank[i] = static_cast<std::int32_t>(std::find(t.tier_names.begin(), t.tier_names.end(), names[i]) -
                                           t.tier_names.begin());
  }
  const spell_table& s = ledger.spells();
  const std::size_t n = t.customers.size();
  // Spells grouped by customer: a stable counting sort keeps each customer's spells in the
  // order they were appended, which is time order.
  t.offsets.assign(n + 1, 0);
  for (std::size_t r = 0; r < s.size(); ++r) ++t.offsets[s.customer[r] + 1];
  for (std::size_t i = 0; i < n; ++i) t.offsets[i + 1] += t.offsets[i];
  std::vector<std::int64_t> at(t.offsets.begin(), t.offsets.end() - 1);
  t.tier.resize(s.size());
  t.from.resize(s.size());
  t.to.resize(s.size());
  for (std::size_t r = 0; r < s.size(); ++r) {
    const std::int64_t k = at[s.customer[r]]++;
    t.tier[k] = to_rank[static_cast<std::size_t>(s.tier[r])];
    t.from[k] = s.from[r];
    t.to[k] = s.to[r];
  }
  return t;
}

void service_tiers::validate(const char* function) const {
  validate_spells(function);
  const std::int64_t repeated = repeated_keys(customers);
  if (repeated) {
    throw invalid_input(std::string(function) + ": the customer keys repeat (" + detail::rows_text(repeated) +
                        " repeat an earlier key); one row per customer is needed");
  }
}

void service_tiers::validate_spells(const char* function) const {
  const std::string fn(function);
  const std::size_t n = customers.size();
  if (offsets.size() != n + 1 || offsets.front() != 0 ||
      offsets.back() != static_cast<std::int64_t>(tier.size()) || from.size() != tier.size() ||
      to.size() != tier.size()) {
    throw invalid_input(fn + ": the spells' offsets and columns do not match the " +
                        detail::format_count(static_cast<std::int64_t>(n)) + " customers");
  }
  if (!value.empty() && value.size() != n) {
    throw invalid_input(fn + ": value needs one number per customer (" +
                        detail::format_count(static_cast<std::int64_t>(n)) + "); got " +
                        detail::format_count(static_cast<std::int64_t>(value.size())));
  }
  const auto tiers = static_cast<std::int32_t>(tier_names.size());
  std::int64_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) {
      throw invalid_input(fn + ": the spells' offsets decrease");
    }
    for (std::int64_t s = offsets[i]; s < offsets[i + 1]; ++s) {
      const bool ok = tier[s] >= 0 && tier[s] < tiers && is_supported_day(from[s]) &&
                      (to[s] == no_day || (is_supported_day(to[s]) && to[s] > from[s])) &&
                      (s == offsets[i] || (to[s - 1] != no_day && to[s - 1] <= from[s]));
      if (!ok) ++bad;
    }
  }
  if (bad) {
    throw invalid_input(fn + ": " + detail::format_count(bad) + (bad == 1 ? " spell has" : " spells have") +
                        " a tier index beyond the tiers, a day outside the supported range, an end "
                        "not after its start, or a start before the customer's previous spell ended");
  }
}

}  // namespace tierkit
