// A C++ application linking the installed tierkit: profile three transactions.
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
  std::cout << "tierkit " << tierkit::version_string << ": " << p.size() << " customers\n";
  return 0;
}
