// A C++ application linking the installed tierkit: profile three transactions, then tier the
// customers by a two-rule policy.
#include <tierkit/tierkit.hpp>

#include <cstdint>
#include <iostream>
#include <vector>

int main() {
  const std::vector<std::int64_t> customer = {7, 7, 9};
  const std::vector<std::int32_t> day = {100, 110, 105};
  const std::vector<double> amount = {10.0, -2.5, 4.0};
  tierkit::transactions tx;
  tx.customer = tierkit::int64_column("customer", customer.data(), customer.size());
  tx.time = tierkit::day_column("day", day.data(), day.size());
  tx.amount = tierkit::float64_column("amount", amount.data(), amount.size());
  const tierkit::profile p = tierkit::make_profile(tx);
  if (p.size() != 2 || p.monetary[0] != 7.5 || p.recency[1] != 6 || p.as_of != 111) {
    std::cerr << "unexpected profile\n";
    return 1;
  }
  tierkit::rule_table t;
  t.add_column(tierkit::float64_column("monetary", p.monetary.data(), p.size()));
  t.add_column(tierkit::int32_column("recency", p.recency.data(), p.size()));
  const tierkit::tier_policy policy({{"Gold", "monetary >= 5 and recency <= 30", {{"owner", "KAM"}}},
                                     {"Silver", "recency <= 10", {}}},
                                    "Bronze");
  const std::vector<std::int32_t> tier = policy.assign(t);
  if (tier != std::vector<std::int32_t>{0, 1}) {  // customer 7: 7.5, 11 days; 9: 4.0, 6 days
    std::cerr << "unexpected tiers\n";
    return 1;
  }
  std::cout << "tierkit " << tierkit::version_string << ": " << p.size() << " customers, tiers "
            << policy.rules()[0].tier << " and " << policy.rules()[1].tier << "\n";
  return 0;
}
