#include "tierkit/households.hpp"

#include <cmath>
#include <limits>

#include "detail/huge_pages.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

std::string rows_of(std::size_t n) { return detail::rows_text(static_cast<std::int64_t>(n)); }

template <class T>
void same_length(const std::string& what, const char* name, const std::vector<T>& v, std::size_t n) {
  if (v.size() != n) {
    throw invalid_input(what + ": " + name + " has " + rows_of(v.size()) + ", the membership " +
                        detail::format_count(static_cast<std::int64_t>(n)));
  }
}

}  // namespace

void household_membership::check(const std::string& what, std::size_t data_rows) const {
  const std::size_t n = rows();
  same_length(what, "data_row", data_row, n);
  if (!weight.empty()) same_length(what, "weight", weight, n);
  if (!counts.empty()) same_length(what, "counts", counts, n);
  std::size_t bad_household = 0, bad_row = 0, bad_weight = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bad_household += household[i] < 0 || static_cast<std::size_t>(household[i]) >= households;
    bad_row += data_row[i] < -1 || (data_row[i] >= 0 && static_cast<std::size_t>(data_row[i]) >= data_rows);
    if (!weight.empty()) bad_weight += !(std::isfinite(weight[i]) && weight[i] >= 0);
  }
  if (bad_household) {
    throw invalid_input(what + ": " + rows_of(bad_household) + " name a household outside [0, " +
                        std::to_string(households) + ")");
  }
  if (bad_row) {
    throw invalid_input(what + ": " + rows_of(bad_row) + " name a data row outside [-1, " + std::to_string(data_rows) + ")");
  }
  if (bad_weight) throw invalid_input(what + ": " + rows_of(bad_weight) + " have a weight that is negative or not finite");
}

const char* rollup_how_name(rollup_how h) noexcept {
  return h == rollup_how::sum ? "sum" : h == rollup_how::max ? "max" : "weighted";
}

rollup_how parse_rollup_how(const std::string& text, const std::string& what) {
  if (text == "sum") return rollup_how::sum;
  if (text == "max") return rollup_how::max;
  if (text == "weighted") return rollup_how::weighted;
  throw invalid_input(what + ": how must be one of sum, max, weighted; got '" + text + "'");
}

household_rollup roll_up(const metric_table& data, const household_membership& m,
                         const std::vector<rollup_measure>& measures) {
  const std::string what = "tierkit.roll_up";
  m.check(what, data.rows());
  const std::size_t nh = m.households, n = m.rows();
  household_rollup out;
  out.members.assign(nh, 0);
  out.members_with_data.assign(nh, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto h = static_cast<std::size_t>(m.household[i]);
    ++out.members[h];
    if (m.data_row[i] >= 0) {
      ++out.members_with_data[h];
    } else {
      ++out.members_missing;
    }
  }
  for (std::size_t h = 0; h < nh; ++h) out.households_without_data += out.members_with_data[h] == 0;
  for (const rollup_measure& measure : measures) {
    const number_span v = data.column(measure.column, "tierkit.roll_up");
    std::vector<double> agg = detail::new_column<double>(nh, measure.how == rollup_how::max
                                                                 ? -std::numeric_limits<double>::infinity()
                                                                 : 0.0);
    std::vector<std::uint8_t> have = detail::new_column<std::uint8_t>(nh, 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (m.data_row[i] < 0 || (!m.counts.empty() && m.counts[i] == 0)) continue;
      const double x = v[static_cast<std::size_t>(m.data_row[i])];
      if (std::isnan(x)) continue;
      const auto h = static_cast<std::size_t>(m.household[i]);
      have[h] = 1;
      switch (measure.how) {
        case rollup_how::sum: agg[h] += x; break;
        case rollup_how::max: agg[h] = x > agg[h] ? x : agg[h]; break;
        case rollup_how::weighted: agg[h] += x * (m.weight.empty() ? 1.0 : m.weight[i]); break;
      }
    }
    out.values.push_back(std::move(agg));
    out.valid.push_back(std::move(have));
  }
  return out;
}

const char* hand_back_rule_name(hand_back_rule r) noexcept {
  return r == hand_back_rule::household ? "household" : "higher";
}

hand_back_rule parse_hand_back_rule(const std::string& text, const std::string& what) {
  if (text == "household") return hand_back_rule::household;
  if (text == "higher") return hand_back_rule::higher;
  throw invalid_input(what + ": rule must be 'higher' or 'household'; got '" + text + "'");
}

member_tiers hand_back(const std::vector<std::int64_t>& customer, const std::vector<std::int32_t>& household_rank,
                       const std::vector<std::int32_t>& own_rank, hand_back_rule rule) {
  const std::string what = "tierkit.hand_back";
  same_length(what, "household_rank", household_rank, customer.size());
  const std::size_t nc = own_rank.size();
  std::size_t bad = 0;
  for (const std::int64_t c : customer) bad += c < 0 || static_cast<std::size_t>(c) >= nc;
  if (bad) throw invalid_input(what + ": " + rows_of(bad) + " name a customer outside [0, " + std::to_string(nc) + ")");
  constexpr std::int32_t none = std::numeric_limits<std::int32_t>::max();
  std::vector<std::int32_t> best(nc, none);
  member_tiers out;
  out.household_row.assign(nc, -1);
  std::vector<std::int64_t> first_row(nc, -1);
  for (std::size_t i = 0; i < customer.size(); ++i) {
    const auto c = static_cast<std::size_t>(customer[i]);
    if (first_row[c] < 0) first_row[c] = static_cast<std::int64_t>(i);
    const std::int32_t r = household_rank[i];
    // The first row reaching the best rank names the household.
    if (r >= 0 && r < best[c]) {
      best[c] = r;
      out.household_row[c] = static_cast<std::int64_t>(i);
    }
  }
  out.tier.resize(nc);
  out.household_tier.resize(nc);
  out.from_household.resize(nc);
  for (std::size_t c = 0; c < nc; ++c) {
    const std::int32_t h = best[c] == none ? -1 : best[c];
    const std::int32_t own = own_rank[c];
    const bool better = h >= 0 && (own < 0 || h < own);
    const bool use = rule == hand_back_rule::household ? h >= 0 : better;
    out.household_tier[c] = h;
    out.tier[c] = use ? h : own;
    out.from_household[c] = use ? 1 : 0;
    if (out.household_row[c] < 0) out.household_row[c] = first_row[c];
    out.members += first_row[c] >= 0;
    out.raised += use && better;
    out.lowered += use && own >= 0 && h > own;
    out.without_own_tier += own < 0;
  }
  return out;
}

}  // namespace tierkit
