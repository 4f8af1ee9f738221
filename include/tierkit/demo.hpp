#pragma once
// A seeded generator of realistic retail transactions for demos, tests and benchmarks.
//
// The model: customers join at random days over the period and leave after an exponential
// lifetime; each has a lognormal activity weight, so a minority makes most purchases (the
// top 20% of customers hold about 60-70% of the lines); orders have one or more lines in
// eight categories with category price levels, a channel and a time of day; a share of
// lines is returned later as a separate negative line with its own order id. The output
// has exactly `transactions` lines. Generation runs in fixed blocks, each with its own
// random stream derived from (seed, block), so the data do not depend on the thread count;
// the same seed gives the same data on a given platform. By default rows are then put in
// day order (a stable counting sort; times within a day stay unordered), as real logs are.
#include <cstdint>
#include <string>
#include <vector>

namespace tierkit {

enum class demo_id_style : std::uint8_t {
  dense,   // 1..customers
  sparse,  // distinct pseudo-random 62-bit integers
  text,    // "C000000001"-style strings
};

struct demo_config {
  std::int64_t customers = 10'000;
  std::int64_t transactions = 200'000;  // exact number of lines
  std::int32_t first_day = 18628;       // 2021-01-01
  std::int32_t days = 1095;             // three years: 2021-01-01 .. 2023-12-31
  std::uint64_t seed = 42;
  double return_rate = 0.03;            // share of lines that are returns
  double mean_lines_per_order = 2.0;
  demo_id_style ids = demo_id_style::dense;
  bool time_ordered = true;             // rows in day order, as a transaction log arrives;
                                        // false: in generation order (days shuffled)
  unsigned threads = 0;                 // 0: every CPU the process may use
};

struct demo_transactions {
  // Customer keys: ints for dense and sparse ids; offsets + chars for text ids.
  std::vector<std::int64_t> customer_id;
  std::vector<std::int64_t> customer_offsets;
  std::string customer_chars;
  std::vector<std::int64_t> timestamp_us;  // UTC instants, microseconds since the epoch
  std::vector<double> amount;              // signed line value, rounded to cents
  std::vector<std::int64_t> order_id;
  std::vector<std::int32_t> quantity;      // signed like the amount
  std::vector<std::int8_t> channel;        // index into channel_names
  std::vector<std::int8_t> category;       // index into category_names
  std::vector<std::string> channel_names;
  std::vector<std::string> category_names;

  std::size_t size() const noexcept { return amount.size(); }
};

// Throws tierkit::invalid_input for non-positive counts or days, a return rate outside
// [0, 0.5], or a mean order size below 1.
demo_transactions generate_demo_transactions(const demo_config& config = {});

}  // namespace tierkit
