#include "tierkit/demo.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "detail/hash.hpp"
#include "detail/random.hpp"
#include "detail/text.hpp"
#include "detail/customer_log.hpp"  // run_on_threads, parallel_blocks, usable_cpus
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

using detail::random_stream;

constexpr std::int64_t block_lines = 1 << 16;
constexpr std::int64_t seconds_per_day = 86400;

struct category_spec {
  const char* name;
  double median_price;  // median unit price (lognormal)
  double share;         // share of lines
};
constexpr category_spec category_specs[] = {
    {"grocery", 4.0, 0.30}, {"home", 18.0, 0.14},  {"apparel", 25.0, 0.16},
    {"electronics", 90.0, 0.06}, {"beauty", 12.0, 0.12}, {"toys", 15.0, 0.08},
    {"books", 11.0, 0.08},  {"sports", 30.0, 0.06},
};
constexpr int n_categories = sizeof(category_specs) / sizeof(category_specs[0]);
constexpr const char* channel_names[] = {"web", "store", "app"};
constexpr double channel_shares[] = {0.5, 0.35, 0.15};

struct customer_model {
  std::int32_t join = 0;    // first active day, offset from first_day
  std::int32_t span = 1;    // active days within the period
  std::int8_t channel = 0;  // preferred channel
};

template <std::size_t N>
int pick(random_stream& rng, const double (&shares)[N]) {
  double u = rng.uniform();
  for (std::size_t i = 0; i + 1 < N; ++i) {
    if (u < shares[i]) return static_cast<int>(i);
    u -= shares[i];
  }
  return static_cast<int>(N - 1);
}

int pick_category(random_stream& rng) {
  double u = rng.uniform();
  for (int i = 0; i + 1 < n_categories; ++i) {
    if (u < category_specs[i].share) return i;
    u -= category_specs[i].share;
  }
  return n_categories - 1;
}

// Seconds after midnight: shopping hours peak in the evening.
std::int64_t time_of_day(random_stream& rng) {
  const double hour = std::clamp(rng.normal() * 3.5 + 15.0, 0.0, 23.99);
  return static_cast<std::int64_t>(hour * 3600.0);
}

double round_cents(double x) { return std::round(x * 100.0) / 100.0; }

void check(const demo_config& c) {
  auto fail = [](const std::string& m) {
    throw invalid_input("tierkit.demo.transactions: " + m);
  };
  if (c.customers <= 0 || c.customers > 4'000'000'000LL) {
    fail("customers must be between 1 and 4,000,000,000; got " + std::to_string(c.customers));
  }
  if (c.ids == demo_id_style::text && c.customers > 999'999'999) {
    fail("text ids ('C' and nine digits) allow at most 999,999,999 customers; got " +
         std::to_string(c.customers));
  }
  if (c.transactions <= 0 || c.transactions > 4'000'000'000LL) {
    fail("transactions must be between 1 and 4,000,000,000; got " +
         std::to_string(c.transactions));
  }
  if (c.days <= 0) fail("days must be positive; got " + std::to_string(c.days));
  if (!(c.return_rate >= 0.0 && c.return_rate <= 0.5)) {
    fail("return_rate must lie in [0, 0.5]; got " + std::to_string(c.return_rate));
  }
  if (!(c.mean_lines_per_order >= 1.0)) {
    fail("mean_lines_per_order must be at least 1; got " + std::to_string(c.mean_lines_per_order));
  }
}

template <class T>
void permute(std::vector<T>& v, const std::vector<std::uint32_t>& from) {
  std::vector<T> out(v.size());
  for (std::size_t i = 0; i < from.size(); ++i) out[i] = v[from[i]];
  v.swap(out);
}

// Stable counting sort of all columns by day.
void sort_by_day(demo_transactions& d, const demo_config& cfg, unsigned threads) {
  const std::size_t n = d.size();
  std::vector<std::int64_t> start(static_cast<std::size_t>(cfg.days) + 1, 0);
  const std::int64_t us_per_day = seconds_per_day * 1'000'000;
  auto day_of = [&](std::size_t i) {
    return static_cast<std::size_t>(d.timestamp_us[i] / us_per_day - cfg.first_day);
  };
  for (std::size_t i = 0; i < n; ++i) ++start[day_of(i) + 1];
  for (std::size_t k = 0; k + 1 < start.size(); ++k) start[k + 1] += start[k];
  std::vector<std::uint32_t> from(n);
  for (std::size_t i = 0; i < n; ++i) from[static_cast<std::size_t>(start[day_of(i)]++)] = static_cast<std::uint32_t>(i);
  // Apply the permutation column by column, two columns at a time.
  std::vector<std::function<void()>> jobs = {
      [&] { permute(d.customer_id, from); }, [&] { permute(d.timestamp_us, from); },
      [&] { permute(d.amount, from); },      [&] { permute(d.order_id, from); },
      [&] { permute(d.quantity, from); },    [&] { permute(d.channel, from); },
      [&] { permute(d.category, from); }};
  detail::parallel_blocks(jobs.size(), threads, [&](std::size_t j, unsigned) { jobs[j](); });
}

}  // namespace

demo_transactions generate_demo_transactions(const demo_config& cfg) {
  check(cfg);
  const auto n_customers = static_cast<std::size_t>(cfg.customers);
  const auto n = static_cast<std::size_t>(cfg.transactions);

  // Customers: join day, lifetime, activity weight, preferred channel. Weighted by activity
  // times active days, so a customer's purchase rate per active day follows its weight.
  std::vector<customer_model> model(n_customers);
  std::vector<double> weight(n_customers);
  {
    random_stream rng(cfg.seed, ~0ULL);
    const double mean_lifetime = std::max(30.0, cfg.days * 0.6);
    for (std::size_t i = 0; i < n_customers; ++i) {
      customer_model& m = model[i];
      // A third of the customers were already there at the start; the rest join later.
      const double u = rng.uniform();
      m.join = u < 0.33 ? 0 : static_cast<std::int32_t>(rng.uniform() * (cfg.days - 1));
      const double life = rng.exponential(mean_lifetime);
      m.span = static_cast<std::int32_t>(
          std::clamp(life, 1.0, static_cast<double>(cfg.days - m.join)));
      m.channel = static_cast<std::int8_t>(pick(rng, channel_shares));
      weight[i] = rng.lognormal(0.0, 1.1) * m.span;
    }
  }
  const detail::alias_table draw_customer(weight);

  demo_transactions out;
  out.customer_id.resize(n);
  out.timestamp_us.resize(n);
  out.amount.resize(n);
  out.order_id.resize(n);
  out.quantity.resize(n);
  out.channel.resize(n);
  out.category.resize(n);
  for (const char* c : channel_names) out.channel_names.emplace_back(c);
  for (const category_spec& c : category_specs) out.category_names.emplace_back(c.name);

  const auto blocks = static_cast<std::int64_t>((n + block_lines - 1) / block_lines);
  const double p_more = 1.0 / cfg.mean_lines_per_order;  // geometric extra lines per order
  const std::int64_t period_end = (static_cast<std::int64_t>(cfg.first_day) + cfg.days) *
                                  seconds_per_day;

  // One block: lines [b * block_lines, ...), its own stream, order ids from its own range.
  auto run_block = [&](std::int64_t b) {
    random_stream rng(cfg.seed, static_cast<std::uint64_t>(b));
    const std::int64_t begin = b * block_lines;
    const std::int64_t end = std::min<std::int64_t>(begin + block_lines, static_cast<std::int64_t>(n));
    std::int64_t next_order = (b << 20) + 1;  // at most 2^16 orders per block
    std::int64_t i = begin;
    while (i < end) {
      const std::uint32_t c = draw_customer.draw(rng);
      const customer_model& m = model[c];
      const std::int64_t day = cfg.first_day + m.join + static_cast<std::int64_t>(rng.below(
                                                             static_cast<std::uint64_t>(m.span)));
      const std::int64_t t = day * seconds_per_day + time_of_day(rng);
      const std::int64_t order = next_order++;
      const int channel = rng.uniform() < 0.8 ? m.channel : pick(rng, channel_shares);
      const std::int64_t lines = 1 + rng.geometric(p_more);
      for (std::int64_t l = 0; l < lines && i < end; ++l) {
        const int cat = pick_category(rng);
        const int qty = 1 + static_cast<int>(rng.geometric(0.6));
        const double price =
            std::max(0.5, round_cents(rng.lognormal(std::log(category_specs[cat].median_price), 0.5)));
        const bool returned = rng.uniform() < cfg.return_rate;
        auto emit = [&](std::int64_t when, double amount, int q, std::int64_t oid) {
          out.customer_id[i] = c;
          out.timestamp_us[i] = when * 1'000'000;
          out.amount[i] = amount;
          out.order_id[i] = oid;
          out.quantity[i] = q;
          out.channel[i] = static_cast<std::int8_t>(channel);
          out.category[i] = static_cast<std::int8_t>(cat);
          ++i;
        };
        emit(t, round_cents(price * qty), qty, order);
        if (returned && i < end) {
          // Returned 1..30 days later (within the period), all or part of the line, under
          // a return order id of its own (ids above 2^50 mark returns).
          const int rq = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(qty)));
          const std::int64_t when =
              std::min(t + (1 + static_cast<std::int64_t>(rng.below(30))) * seconds_per_day,
                       period_end - 1);
          emit(when, -round_cents(price * rq), -rq, (std::int64_t{1} << 50) + order);
        }
      }
    }
  };

  unsigned threads = cfg.threads ? cfg.threads : detail::usable_cpus();
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(blocks)));
  detail::run_on_threads(threads, [&](unsigned t) {
    for (std::int64_t b = t; b < blocks; b += threads) run_block(b);
  });

  if (cfg.time_ordered) sort_by_day(out, cfg, threads);

  // Customer keys in the requested style (the generator works with indices 0..n-1).
  switch (cfg.ids) {
    case demo_id_style::dense:
      for (std::int64_t& id : out.customer_id) id += 1;
      break;
    case demo_id_style::sparse:
      // mix64 is a bijection, so distinct indices give distinct ids; keep 62 bits.
      for (std::int64_t& id : out.customer_id) {
        id = static_cast<std::int64_t>(detail::mix64(static_cast<std::uint64_t>(id) ^ cfg.seed) >> 2);
      }
      break;
    case demo_id_style::text: {
      out.customer_offsets.resize(n + 1);
      out.customer_chars.resize(n * 10);
      char buf[32];
      for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "C%09lld", static_cast<long long>(out.customer_id[i] + 1));
        std::copy(buf, buf + 10, out.customer_chars.begin() + static_cast<std::ptrdiff_t>(10 * i));
        out.customer_offsets[i] = static_cast<std::int64_t>(10 * i);
      }
      out.customer_offsets[n] = static_cast<std::int64_t>(10 * n);
      out.customer_id.clear();
      out.customer_id.shrink_to_fit();
      break;
    }
  }
  return out;
}

}  // namespace tierkit
