// libFuzzer target for the model loader: every *_from_bytes of tierkit/serialization.hpp
// (models — lifetime-value, k-means and grouped models included —, segment tables, tier
// policies, tier ledgers, partial profile states, period tables, finished profiles,
// customer histories) and the envelope itself.
//
// Input: the first byte picks the loader (its low bits) and whether the rest is a payload
// to wrap in a valid envelope of that loader's kind (bit 7 clear: the fuzzer then reaches
// the payload parsers instead of stopping at the checksum) or the whole bytes to load as
// they are (bit 7 set: the envelope's own checks). The seed corpus fuzz/corpus/model holds
// real payloads of every kind (fuzz/make_seeds.py writes them).
//
// Refusing bad bytes with tierkit::format_error (or invalid_input / schema_error from a
// loaded object's use) is the documented behaviour and is ignored; anything else is a
// finding: a crash, a sanitizer report, a leak, a hang, an allocation beyond libFuzzer's
// limit (loading may not allocate much more than the input's size), any other exception
// (it reaches std::terminate), or a broken invariant (abort):
//   - what loads saves again to bytes that load to the same bytes (save/load is the
//     identity once loaded);
//   - a loaded object can be used: models apply to a small metric table and summarise
//     (lifetime-value models also predict on a small repeat-buying summary), a policy checks
//     and assigns on a small rule table, a ledger answers its queries, a profile state merges
//     with itself and finishes, a period table combines into a window profile, a profile
//     and a customer history join into an assessment's profile.
// Build and run: see fuzz/CMakeLists.txt (ctest -R fuzz.model).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tierkit/error.hpp"
#include "tierkit/grouped.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/over_time/assessment_profile.hpp"
#include "tierkit/over_time/period_table.hpp"
#include "tierkit/serialization.hpp"
#include "tierkit/strategies/bg_nbd.hpp"
#include "tierkit/strategies/clv.hpp"
#include "tierkit/strategies/gamma_gamma.hpp"
#include "tierkit/strategies/kmeans.hpp"
#include "tierkit/strategies/pareto_nbd.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_model: invariant broken: %s\n", what);
    std::abort();
  }
}

// Five customers with nulls, zeros, negatives and infinities in the metrics strategies read.
const tierkit::metric_table& metrics() {
  static const tierkit::metric_table t = [] {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double inf = std::numeric_limits<double>::infinity();
    tierkit::metric_table m;
    for (const char* name : {"recency", "tenure", "frequency", "purchase_days", "median_gap",
                             "last_gap", "transactions", "returns", "monetary", "gross_sales",
                             "returns_value", "average_order_value", "spend_growth", "adb",
                             "balance", "assets", "age", "years", "value", "potential",
                             "repeat_value", "x", "t_x", "m_x"}) {
      m.add(name, {0, 12, nan, -3.5, inf});
    }
    return m;
  }();
  return t;
}

const tierkit::rule_table& rules_table() {
  static const tierkit::rule_table t = [] {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    tierkit::rule_table r;
    for (const char* name : {"monetary", "frequency", "recency", "r_score", "f_score",
                             "m_score", "rfm_sum", "adb", "age"}) {
      r.add_numbers(name, {150000, nan, 0, -2.5});
    }
    r.add_text("segment", {0, 1, -1, 2}, {"Champions", "At Risk", ""});
    r.add_text("abc_class", {0, 1, 2, -1}, {"A", "B", "C"});
    r.add_text("lifecycle", {-1, 0, 1, 1}, {"active", "churned"});
    return r;
  }();
  return t;
}

// A profile of three integer-keyed customers, for histories and states to meet.
const tierkit::profile& small_profile() {
  static const tierkit::profile p = [] {
    static const std::vector<std::int64_t> keys = {7, 3, 7, 11};
    static const std::vector<std::int32_t> days = {19000, 19001, 19010, 19020};
    static const std::vector<double> amounts = {10, -2.5, 30, 0};
    tierkit::transactions tx;
    tx.customer = tierkit::int64_column("customer", keys.data(), keys.size());
    tx.time = tierkit::day_column("day", days.data(), days.size());
    tx.amount = tierkit::float64_column("amount", amounts.data(), amounts.size());
    tierkit::profile_config c;
    c.threads = 1;
    return tierkit::make_profile(tx, c);
  }();
  return p;
}

template <class Loaded>
void use_model(const Loaded& m) {
  try {
    (void)m.apply(metrics());
  } catch (const tierkit::schema_error&) {
    // a column the model reads is not in the table
  } catch (const tierkit::invalid_input&) {
  }
  (void)m.summary();
}

void use_policy(const tierkit::tier_policy& p) {
  (void)p.columns();
  (void)p.check(nullptr);
  try {
    p.check_schema(rules_table());
  } catch (const tierkit::schema_error&) {
    return;
  }
  (void)p.check(&rules_table(), 1);
  const std::vector<std::int32_t> tier = p.assign(rules_table(), 1);
  require(tier.size() == rules_table().rows(), "assign: wrong length");
  const tierkit::explanation x = p.explain(rules_table(), 0);
  require(x.matched == tier[0], "explain and assign disagree on row 0");
}

void use_ledger(const tierkit::tier_ledger& l) {
  const std::vector<std::int32_t>& dates = l.assessment_dates();
  const std::int32_t first = dates.empty() ? 19000 : dates.front();
  const std::int32_t last = dates.empty() ? 19000 : dates.back();
  for (std::int32_t day : {first - 1, first, last, last + 1}) (void)l.at(day);
  try {
    (void)l.migration(first, last);
  } catch (const tierkit::invalid_input&) {
  }
  (void)l.flows();
  (void)l.changes(first, last + 1);
  for (std::uint32_t c = 0; c < l.customers() && c < 4; ++c) (void)l.history(c);
  (void)l.find(l.keys());
}

void use_state(const tierkit::profile_state& s) {
  tierkit::profile_state twice = s;
  try {
    twice.merge(s);
  } catch (const tierkit::invalid_input&) {
  } catch (const tierkit::schema_error&) {
  }
  try {
    (void)s.finish(true);
  } catch (const tierkit::invalid_input&) {
  }
}

void use_history(const tierkit::customer_history& h) {
  tierkit::customer_history more = h;
  try {
    more.add(small_profile());
    (void)tierkit::assessment_profile(small_profile(), h, small_profile().as_of, std::nullopt);
  } catch (const tierkit::invalid_input&) {
  } catch (const tierkit::schema_error&) {
  }
}

// Four customers of a repeat-buying summary (weeks), one without repeat purchases.
tierkit::clv_data clv_rows() {
  static const std::vector<double> x = {0, 1, 4, 1000}, t_x = {0, 2.5, 30, 10}, T = {1, 10, 38.86, 100};
  tierkit::clv_data d;
  d.x = tierkit::number_span(x.data(), x.size());
  d.t_x = tierkit::number_span(t_x.data(), t_x.size());
  d.T = tierkit::number_span(T.data(), T.size());
  return d;
}

template <class Purchases>
void use_purchases(const Purchases& m) {
  const tierkit::clv_data d = clv_rows();
  static const std::vector<double> t = {0, 0.5, 52};
  try {
    (void)m.log_likelihood(d);
    (void)m.expected_purchases(tierkit::number_span(t.data(), t.size()));
    (void)m.conditional_expected_purchases(52, d);
    (void)m.p_alive(d);
    (void)m.probability_of_purchases(2, 39);
    (void)m.expected_cumulative(tierkit::number_span(t.data(), 2), tierkit::number_span(t.data() + 1, 2),
                                tierkit::number_span(t.data(), t.size()));
  } catch (const tierkit::invalid_input&) {
  }
}

void use_gamma_gamma(const tierkit::gamma_gamma_model& m) {
  static const std::vector<double> x = {0, 1, 4}, m_x = {0, 20.5, 7.25};
  const tierkit::number_span xs(x.data(), x.size()), ms(m_x.data(), m_x.size());
  try {
    (void)m.log_likelihood(xs, ms);
    (void)m.conditional_expected_value(xs, ms);
  } catch (const tierkit::invalid_input&) {
  }
  (void)m.population_mean();
}

void use_clv(const tierkit::clv_model& m) {
  use_model(m);
  try {
    (void)m.p_alive(clv_rows());
    (void)m.conditional_expected_purchases(4, clv_rows());
  } catch (const tierkit::invalid_input&) {
  }
}

void use_period_table(const tierkit::period_table& t) {
  (void)t.monetary();
  (void)t.bought();
  try {
    (void)tierkit::window_profile({&t}, 1);
  } catch (const tierkit::invalid_input&) {
  }
}

void use_profile(const tierkit::profile& p) {
  tierkit::customer_history h;
  try {
    h.add(p);
    (void)tierkit::assessment_profile(p, h, p.as_of, std::nullopt);
  } catch (const tierkit::invalid_input&) {
  }
}

// Loads `bytes` with loader `which`; on success, checks save/load and uses the object.
template <class T, class Load, class Use>
void round_trip(const std::string& bytes, Load load, Use use) {
  T object;
  try {
    object = load(bytes);
  } catch (const tierkit::format_error&) {
    return;
  }
  const std::string saved = tierkit::to_bytes(object);
  const std::string again = tierkit::to_bytes(load(saved));
  require(saved == again, "what loads does not save and load to the same bytes");
  use(object);
}

constexpr const char* kinds[] = {"rfm",         "abc",           "segment_table",
                                 "lifecycle",   "value_potential", "asset_bands",
                                 "tier_policy", "tier_ledger",   "profile_state",
                                 "customer_history", "bg_nbd",    "pareto_nbd",
                                 "gamma_gamma", "clv",           "kmeans",
                                 "period_table", "profile",      "cpp_grouped"};
constexpr std::size_t loaders = sizeof(kinds) / sizeof(kinds[0]);

void load_one(std::size_t which, const std::string& bytes) {
  using namespace tierkit;
  switch (which) {
    case 0: round_trip<rfm_model>(bytes, rfm_model_from_bytes, use_model<rfm_model>); break;
    case 1: round_trip<abc_model>(bytes, abc_model_from_bytes, use_model<abc_model>); break;
    case 2:
      round_trip<segment_table>(bytes, segment_table_from_bytes, [](const segment_table& t) {
        for (int r = 0; r <= 6; ++r) (void)t.match(r, 6 - r, r % 3);
      });
      break;
    case 3: round_trip<lifecycle_model>(bytes, lifecycle_model_from_bytes, use_model<lifecycle_model>); break;
    case 4:
      round_trip<value_potential_model>(bytes, value_potential_model_from_bytes,
                                        use_model<value_potential_model>);
      break;
    case 5: round_trip<asset_band_model>(bytes, asset_band_model_from_bytes, use_model<asset_band_model>); break;
    case 6: round_trip<tier_policy>(bytes, tier_policy_from_bytes, use_policy); break;
    case 7: round_trip<tier_ledger>(bytes, tier_ledger_from_bytes, use_ledger); break;
    case 8: round_trip<profile_state>(bytes, profile_state_from_bytes, use_state); break;
    case 9: round_trip<customer_history>(bytes, customer_history_from_bytes, use_history); break;
    case 10: round_trip<bg_nbd_model>(bytes, bg_nbd_model_from_bytes, use_purchases<bg_nbd_model>); break;
    case 11: round_trip<pareto_nbd_model>(bytes, pareto_nbd_model_from_bytes, use_purchases<pareto_nbd_model>); break;
    case 12: round_trip<gamma_gamma_model>(bytes, gamma_gamma_model_from_bytes, use_gamma_gamma); break;
    case 13: round_trip<clv_model>(bytes, clv_model_from_bytes, use_clv); break;
    case 14: round_trip<kmeans_model>(bytes, kmeans_model_from_bytes, use_model<kmeans_model>); break;
    case 15: round_trip<period_table>(bytes, period_table_from_bytes, use_period_table); break;
    case 16: round_trip<profile>(bytes, profile_from_bytes, use_profile); break;
    case 17: {  // (no default constructor: round_trip's steps written out)
      std::unique_ptr<grouped_model> m;
      try {
        m = std::make_unique<grouped_model>(grouped_model::from_bytes(bytes));
      } catch (const format_error&) {
        break;
      }
      const std::string saved = m->to_bytes();
      require(grouped_model::from_bytes(saved).to_bytes() == saved,
              "what loads does not save and load to the same bytes");
      try {
        (void)m->apply(metrics(), group_column::from_labels({"a", "b", "c", "d", "e"}, {1, 1, 0, 1, 1}));
      } catch (const schema_error&) {
      } catch (const invalid_input&) {
      }
      (void)m->summary();
      break;
    }
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t which = (data[0] & 0x7f) % loaders;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 0x80) {
    try {
      (void)tierkit::envelope_kind(rest);
    } catch (const tierkit::format_error&) {
    }
    load_one(which, rest);
  } else {
    load_one(which, tierkit::wrap_envelope(kinds[which], rest));
  }
  return 0;
}
