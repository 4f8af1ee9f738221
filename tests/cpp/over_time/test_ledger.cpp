// The tier ledger: spells, records, overrides on their own dates, policy versions, queries,
// persistence, and the same ledger whatever the split of the history.
#include <doctest/doctest.h>

#include <tierkit/serialization.hpp>
#include <tierkit/tierkit.hpp>

#include <map>
#include <string>
#include <vector>

using namespace tierkit;

namespace {

std::int32_t day(int y, int m, int d) { return days_from_civil(y, m, d); }

policy_version gold_silver_bronze(std::vector<tier_transition> t = {}) {
  policy_version v;
  v.label = "v1";
  v.fingerprint = policy_fingerprint("gold silver bronze");
  v.rules.tiers = {"Gold", "Silver", "Bronze"};
  v.rules.transitions = std::move(t);
  return v;
}

// One assessment from {customer: raw tier name}.
void assess(tier_ledger& l, std::int32_t date, const std::map<std::int64_t, std::string>& raw) {
  customer_keys k;
  assessment_input a;
  a.date = date;
  const policy_version& v = l.versions().back().effective_from <= date ? l.versions().back() : l.versions().front();
  for (const auto& [c, t] : raw) {
    k.ints.push_back(c);
    a.raw.push_back(v.rules.rank_of(t));
    a.rule.push_back(0);
  }
  a.customers = &k;
  l.advance(a);
}

std::string tier_on(const tier_ledger& l, std::int64_t customer, std::int32_t date) {
  const tier_snapshot s = l.at(date);
  for (std::size_t i = 0; i < s.customer.size(); ++i) {
    if (l.keys().ints[s.customer[i]] == customer) return l.tier_names()[static_cast<std::size_t>(s.tier[i])];
  }
  return "";
}

// (tier, from, to, reason) of one customer's spells.
std::vector<std::string> spells_of(const tier_ledger& l, std::int64_t customer) {
  customer_keys k;
  k.ints = {customer};
  const std::int64_t c = l.find(k)[0];
  std::vector<std::string> out;
  if (c < 0) return out;
  for (std::int64_t r : l.history(static_cast<std::uint32_t>(c))) {
    const auto i = static_cast<std::size_t>(r);
    const spell_table& s = l.spells();
    out.push_back(l.tier_names()[static_cast<std::size_t>(s.tier[i])] + " " + format_day(s.from[i]) + " " +
                  (s.to[i] == no_day ? std::string("open") : format_day(s.to[i])) + " " +
                  change_reason_name(s.reason[i]));
  }
  return out;
}

}  // namespace

TEST_CASE("monthly assessments with grace: spells, watch counts and projected downgrade dates") {
  ledger_config cfg;
  cfg.frequency = assessment_frequency::month;
  tier_ledger l(gold_silver_bronze({{1, 3, downgrade_target::raw}, {}, {}}), {}, cfg);
  assess(l, day(2024, 1, 1), {{1, "Gold"}, {2, "Silver"}});
  assess(l, day(2024, 2, 1), {{1, "Bronze"}, {2, "Gold"}});
  assess(l, day(2024, 3, 1), {{1, "Bronze"}, {2, "Gold"}, {3, "Bronze"}});
  assess(l, day(2024, 4, 1), {{1, "Bronze"}});
  l.check_invariants();
  CHECK(spells_of(l, 1) == std::vector<std::string>{"Gold 2024-01-01 2024-04-01 initial",
                                                    "Bronze 2024-04-01 open downgrade"});
  // Customer 2 is absent on 2024-04-01: assessed at the lowest tier, the first of Gold's
  // three below.
  CHECK(spells_of(l, 2) == std::vector<std::string>{"Silver 2024-01-01 2024-02-01 initial",
                                                    "Gold 2024-02-01 open upgrade"});
  CHECK(l.records().below[8] == 1);
  CHECK(tier_on(l, 1, day(2024, 3, 31)) == "Gold");
  CHECK(tier_on(l, 1, day(2024, 4, 1)) == "Bronze");
  CHECK(tier_on(l, 3, day(2024, 2, 15)).empty());  // not yet a customer
  const assessment_records& r = l.records();
  CHECK(l.record_offsets() == std::vector<std::int64_t>{0, 2, 4, 7, 10});
  // 2024-02-01, customer 1: watch 1 of 3, downgrade projected for 2024-04-01.
  CHECK(r.below[2] == 1);
  CHECK(l.downgrade_on(1, 2) == day(2024, 4, 1));
  CHECK(r.below[4] == 2);
  CHECK(l.downgrade_on(2, 4) == day(2024, 4, 1));
  CHECK(l.downgrade_on(3, 7) == no_day);
}

TEST_CASE("an override spanning a downgrade and its expiry") {
  tier_overrides o;
  o.add(std::int64_t{1}, "Gold", day(2024, 2, 15), day(2024, 5, 10), override_kind::fixed, "VIP retention", "ops");
  tier_ledger l(gold_silver_bronze({{1, 2, downgrade_target::raw}, {}, {}}), o);
  assess(l, day(2024, 1, 1), {{1, "Gold"}});
  assess(l, day(2024, 2, 1), {{1, "Bronze"}});  // watch 1 of 2
  assess(l, day(2024, 3, 1), {{1, "Bronze"}});  // would be the downgrade; the override holds Gold
  assess(l, day(2024, 4, 1), {{1, "Silver"}});
  assess(l, day(2024, 5, 1), {{1, "Silver"}});
  assess(l, day(2024, 6, 1), {{1, "Silver"}});  // expiry on 05-10 judged on Silver: watch 1; then 2
  l.check_invariants();
  // The override holds the tier Gold already was: no new spell (spells change with the
  // tier); the records show it in force.
  CHECK(spells_of(l, 1) == std::vector<std::string>{"Gold 2024-01-01 2024-06-01 initial",
                                                    "Silver 2024-06-01 open downgrade"});
  CHECK(l.records().override_active[2] == override_kind::fixed);  // 2024-03-01
  CHECK(l.records().held[2] == 0);
  const std::size_t last = static_cast<std::size_t>(l.record_offsets()[4]);
  CHECK(l.records().override_active[last] == override_kind::fixed);
}

TEST_CASE("an override ending with immediate downgrades: the spell says override expired") {
  tier_overrides o;
  o.add(std::int64_t{1}, "Gold", day(2024, 1, 10), day(2024, 1, 20));
  tier_ledger l(gold_silver_bronze(), o);
  assess(l, day(2024, 1, 1), {{1, "Silver"}});
  assess(l, day(2024, 2, 1), {{1, "Silver"}});
  CHECK(spells_of(l, 1) == std::vector<std::string>{"Silver 2024-01-01 2024-01-10 initial",
                                                    "Gold 2024-01-10 2024-01-20 manual",
                                                    "Silver 2024-01-20 open override expired"});
  l.check_invariants();
}

TEST_CASE("a floor override below the raw tier changes nothing until the rules go below it") {
  tier_overrides o;
  o.add(std::int64_t{1}, "Silver", day(2024, 1, 15), no_day, override_kind::floor);
  tier_ledger l(gold_silver_bronze(), o);
  assess(l, day(2024, 1, 1), {{1, "Gold"}});
  assess(l, day(2024, 2, 1), {{1, "Gold"}});
  assess(l, day(2024, 3, 1), {{1, "Bronze"}});
  CHECK(spells_of(l, 1) == std::vector<std::string>{"Gold 2024-01-01 2024-03-01 initial",
                                                    "Silver 2024-03-01 open downgrade"});
}

TEST_CASE("an override for a customer no assessment named yet adds the customer") {
  tier_overrides o;
  o.add(std::int64_t{9}, "Gold", day(2024, 1, 15), day(2024, 3, 1));
  tier_ledger l(gold_silver_bronze(), o);
  assess(l, day(2024, 2, 1), {{1, "Silver"}});
  assess(l, day(2024, 4, 1), {{1, "Silver"}});
  CHECK(spells_of(l, 9) == std::vector<std::string>{"Gold 2024-01-15 2024-03-01 manual",
                                                    "Bronze 2024-03-01 open override expired"});
  l.check_invariants();
}

TEST_CASE("a policy change mid-history re-tiers everyone under the new version") {
  tier_ledger l(gold_silver_bronze({{1, 3, downgrade_target::raw}, {}, {}}));
  assess(l, day(2024, 1, 1), {{1, "Gold"}, {2, "Bronze"}});
  assess(l, day(2024, 2, 1), {{1, "Silver"}, {2, "Bronze"}});
  policy_version v2;
  v2.label = "v2";
  v2.effective_from = day(2024, 3, 1);
  v2.fingerprint = policy_fingerprint("platinum gold basic");
  v2.rules.tiers = {"Platinum", "Gold", "Basic"};
  l.add_version(v2);
  assess(l, day(2024, 3, 1), {{1, "Gold"}, {2, "Basic"}});
  assess(l, day(2024, 4, 1), {{1, "Platinum"}, {2, "Basic"}});
  l.check_invariants();
  CHECK(spells_of(l, 1) == std::vector<std::string>{"Gold 2024-01-01 2024-03-01 initial",
                                                    "Gold 2024-03-01 2024-04-01 policy changed",
                                                    "Platinum 2024-04-01 open upgrade"});
  CHECK(spells_of(l, 2) == std::vector<std::string>{"Bronze 2024-01-01 2024-03-01 initial",
                                                    "Basic 2024-03-01 open policy changed"});
  CHECK(l.spells().version.back() == 1);
  CHECK_THROWS_WITH_AS(l.add_version(v2), doctest::Contains("not after the last assessment"), invalid_input);
}

TEST_CASE("bad input changes nothing and says what is wrong") {
  tier_ledger l(gold_silver_bronze());
  assess(l, day(2024, 2, 1), {{1, "Gold"}});
  const tier_ledger before = l;
  CHECK_THROWS_WITH_AS(assess(l, day(2024, 1, 1), {{1, "Gold"}}),
                       doctest::Contains("2024-01-01 is not after the last assessment, 2024-02-01"), invalid_input);
  customer_keys k;
  k.ints = {1, 1};
  assessment_input a;
  a.date = day(2024, 3, 1);
  a.customers = &k;
  a.raw = {0, 0};
  CHECK_THROWS_WITH_AS(l.advance(a), doctest::Contains("1 customer keys are repeated"), invalid_input);
  k.ints = {1, 2};
  a.raw = {0, 3};
  CHECK_THROWS_WITH_AS(l.advance(a), doctest::Contains("1 raw tiers are not ranks"), invalid_input);
  customer_keys text;
  text.is_string = true;
  text.offsets = {0, 1};
  text.chars = "a";
  a.customers = &text;
  a.raw = {0};
  CHECK_THROWS_WITH_AS(l.advance(a), doctest::Contains("text customer keys; the ledger has integer keys"),
                       invalid_input);
  CHECK(l == before);
  tier_overrides o;
  o.add(std::int64_t{1}, "Gold", day(2024, 1, 1), day(2024, 6, 1));
  o.add(std::int64_t{1}, "Silver", day(2024, 5, 1));
  CHECK_THROWS_WITH_AS(l.set_overrides(o), doctest::Contains("override rows 1 and 2 are for the same customer and overlap"),
                       invalid_input);
  tier_overrides past;
  past.add(std::int64_t{1}, "Gold", day(2024, 1, 1));
  CHECK_THROWS_WITH_AS(l.set_overrides(past), doctest::Contains("changes overrides that began or ended on or before"),
                       invalid_input);
  tier_overrides unknown;
  unknown.add(std::int64_t{1}, "Platinum", day(2024, 2, 10));
  l.set_overrides(unknown);
  CHECK_THROWS_WITH_AS(assess(l, day(2024, 3, 1), {{1, "Gold"}}),
                       doctest::Contains("override row 1 names tier 'Platinum'"), invalid_input);
}

TEST_CASE("migrations and flows count customers between days and assessments") {
  tier_ledger l(gold_silver_bronze());
  assess(l, day(2024, 1, 1), {{1, "Gold"}, {2, "Silver"}, {3, "Bronze"}});
  assess(l, day(2024, 2, 1), {{1, "Gold"}, {2, "Gold"}, {3, "Bronze"}, {4, "Silver"}});
  const std::vector<double> value{10, 20, 30, 40};
  const migration_matrix m = l.migration(day(2024, 1, 1), day(2024, 2, 1), &value);
  // rows Gold, Silver, Bronze, (new); columns Gold, Silver, Bronze
  CHECK(m.from_tiers == std::vector<std::int32_t>{0, 1, 2, no_tier});
  CHECK(m.to_tiers == std::vector<std::int32_t>{0, 1, 2});
  CHECK(m.counts == std::vector<std::int64_t>{1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0});
  CHECK(m.value == std::vector<double>{10, 0, 0, 20, 0, 0, 0, 0, 30, 0, 40, 0});
  const tier_flows f = l.flows();
  // 2024-01-01: three new; 2024-02-01: Gold->Gold, Silver->Gold, Bronze->Bronze, new->Silver
  CHECK(f.date.size() == 7);
  CHECK(f.from[3] == 0);
  CHECK(f.to[3] == 0);
  CHECK(f.customers[3] == 1);
  CHECK(f.from[6] == no_tier);
  CHECK(l.changes(day(2024, 2, 1), day(2024, 3, 1)).size() == 2);  // customer 2 up, 4 new
}

TEST_CASE("save and load give the same ledger, and advancing a loaded ledger equals one run") {
  tier_overrides o;
  o.add(std::int64_t{2}, "Gold", day(2024, 2, 10), day(2024, 4, 20));
  ledger_config cfg;
  cfg.frequency = assessment_frequency::month;
  const policy_version v = gold_silver_bronze({{2, 2, downgrade_target::one_step}, {1, 3, downgrade_target::raw}, {}});
  const std::vector<std::map<std::int64_t, std::string>> months{
      {{1, "Gold"}, {2, "Silver"}}, {{1, "Bronze"}, {2, "Bronze"}, {3, "Gold"}},
      {{1, "Gold"}, {3, "Gold"}},   {{1, "Silver"}, {2, "Gold"}, {3, "Bronze"}},
      {{1, "Silver"}, {2, "Gold"}}, {{1, "Bronze"}, {2, "Bronze"}, {3, "Silver"}}};
  tier_ledger whole(v, o, cfg);
  for (std::size_t m = 0; m < months.size(); ++m) assess(whole, day(2024, 1 + static_cast<int>(m), 1), months[m]);
  whole.check_invariants();
  for (std::size_t split = 0; split <= months.size(); ++split) {
    tier_ledger part(v, o, cfg);
    for (std::size_t m = 0; m < split; ++m) assess(part, day(2024, 1 + static_cast<int>(m), 1), months[m]);
    tier_ledger loaded = tier_ledger_from_bytes(to_bytes(part));
    CHECK(loaded == part);
    for (std::size_t m = split; m < months.size(); ++m) assess(loaded, day(2024, 1 + static_cast<int>(m), 1), months[m]);
    CHECK(loaded == whole);
  }
  std::string bytes = to_bytes(whole);
  bytes[bytes.size() - 3] ^= 1;
  CHECK_THROWS_AS(tier_ledger_from_bytes(bytes), format_error);
}
