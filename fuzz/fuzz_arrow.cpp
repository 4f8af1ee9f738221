// libFuzzer target for Arrow ingestion: transactions and customer attributes built from
// Arrow arrays through the code the Python bindings use (bindings/arrow_c_import.cpp: the
// ArrowSchema / ArrowArray of the C data interface to column views), then profiled
// (profile_state update / finish) and joined (customer_attributes from_columns / rows_of).
//
// The fuzzer's bytes choose, per column, a type (every integer, float, decimal128 with any
// precision and scale, bool, date32/64, timestamps of
// each unit with or without a zone, utf8, large_utf8, utf8_view, dictionaries of integers and strings; also
// types tierkit refuses), a length, an Arrow offset, a validity bitmap, the values, and the
// profile's settings. Arrays are structurally what an Arrow producer promises (buffers as
// long as offset + length, string offsets ascending within their characters, views within
// their buffers); their contents are anything, dictionary indices included (in range or
// not). Refusing input with tierkit::invalid_input or schema_error is the documented
// behaviour and is ignored; anything else is a finding: a crash, a sanitizer report, a leak,
// a hang, any other exception (std::terminate), or a broken invariant (abort):
//   - a profile's report adds up: rows read = used + dropped + outside the window;
//   - a profile has one row per distinct customer, keys ascending, and a customer's
//     transactions add up to the rows used.
// Build and run: see fuzz/CMakeLists.txt (ctest -R fuzz.arrow).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "arrow_c_import.hpp"
#include "tierkit/customer_attributes.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_arrow: invariant broken: %s\n", what);
    std::abort();
  }
}

// One Arrow array and its schema, owning every buffer (as an exporter would).
struct arrow_column {
  std::string format;
  std::vector<std::vector<std::uint8_t>> buffers;
  std::vector<const void*> pointers;
  std::unique_ptr<arrow_column> dictionary;
  ArrowSchema schema{};
  ArrowArray array{};

  // Points the C structures at the owned buffers (call once they are all in place).
  void seal(std::int64_t length, std::int64_t offset, std::int64_t null_count, bool validity) {
    pointers.clear();
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      pointers.push_back(i == 0 && !validity ? nullptr : buffers[i].data());
    }
    schema.format = format.c_str();
    schema.name = "";
    array.length = length;
    array.offset = offset;
    array.null_count = null_count;
    array.n_buffers = static_cast<std::int64_t>(pointers.size());
    array.buffers = pointers.data();
    if (dictionary) {
      schema.dictionary = &dictionary->schema;
      array.dictionary = &dictionary->array;
    }
  }
};

enum class kind : std::uint8_t {
  int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64, boolean,
  date32, date64, timestamp, decimal, utf8, large_utf8, utf8_view, dictionary, unsupported,
};
constexpr int kinds = static_cast<int>(kind::unsupported) + 1;

std::size_t width(kind k) {
  switch (k) {
    case kind::int8: case kind::uint8: return 1;
    case kind::int16: case kind::uint16: return 2;
    case kind::int32: case kind::uint32: case kind::float32: case kind::date32: return 4;
    case kind::decimal: return 16;
    default: return 8;
  }
}

const char* fixed_format(kind k) {
  switch (k) {
    case kind::int8: return "c";
    case kind::uint8: return "C";
    case kind::int16: return "s";
    case kind::uint16: return "S";
    case kind::int32: return "i";
    case kind::uint32: return "I";
    case kind::int64: return "l";
    case kind::uint64: return "L";
    case kind::float32: return "f";
    case kind::float64: return "g";
    case kind::date32: return "tdD";
    case kind::date64: return "tdm";
    default: return "l";
  }
}

// A buffer of `n` bytes, filled from the fuzzer (zeros once its bytes run out).
std::vector<std::uint8_t> bytes(FuzzedDataProvider& in, std::size_t n) {
  std::vector<std::uint8_t> b = in.ConsumeBytes<std::uint8_t>(n);
  b.resize(std::max<std::size_t>(n, 1), 0);
  return b;
}

// Values that reach the interesting edges more often than random bytes do.
void edge_values(FuzzedDataProvider& in, std::vector<std::uint8_t>& values, kind k, std::size_t slots) {
  if (!in.ConsumeBool()) return;
  const std::size_t w = width(k);
  for (std::size_t i = 0; i < slots; ++i) {
    if (!in.ConsumeBool()) continue;
    std::int64_t v = 0;
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: v = (std::int64_t{1} << 60) - 1; break;   // the largest amount
      case 1: v = std::int64_t{1} << 60; break;         // one beyond
      case 2: v = -719162; break;                      // 0001-01-01 as date32
      case 3: v = 2932896; break;                      // 9999-12-31 as date32
      case 4: v = std::numeric_limits<std::int64_t>::min(); break;
      case 5: v = std::numeric_limits<std::int64_t>::max(); break;
      case 6: v = 2932897; break;                      // a day beyond
      default: v = in.ConsumeIntegralInRange<std::int64_t>(-3, 3); break;
    }
    if (k == kind::float64) {
      double d = static_cast<double>(v);
      std::memcpy(&values[i * w], &d, 8);
    } else if (k == kind::decimal) {
      const std::int64_t hi = v < 0 ? -1 : 0;
      std::memcpy(&values[i * w], &v, 8);
      std::memcpy(&values[i * w + 8], &hi, 8);
    } else {
      std::memcpy(&values[i * w], &v, std::min<std::size_t>(w, 8));
    }
  }
}

std::unique_ptr<arrow_column> make_column(FuzzedDataProvider& in, std::int64_t length, bool in_dictionary);

// Fills `c` with a string layout: offsets (int32 or int64) and characters, or views.
void make_strings(FuzzedDataProvider& in, arrow_column& c, kind k, std::size_t slots) {
  std::vector<std::string> texts(slots);
  for (std::string& t : texts) t = in.ConsumeRandomLengthString(40);
  if (k == kind::utf8_view) {
    // 16-byte views: length, then 12 inline bytes, or a 4-byte prefix, buffer index, offset.
    std::string data;
    std::vector<std::uint8_t> views(std::max<std::size_t>(slots * 16, 1), 0);
    for (std::size_t i = 0; i < slots; ++i) {
      const auto len = static_cast<std::int32_t>(texts[i].size());
      std::uint8_t* v = &views[i * 16];
      std::memcpy(v, &len, 4);
      if (len <= 12) {
        std::memcpy(v + 4, texts[i].data(), texts[i].size());
      } else {
        const std::int32_t buffer = 0;
        const auto offset = static_cast<std::int32_t>(data.size());
        std::memcpy(v + 4, texts[i].data(), 4);
        std::memcpy(v + 8, &buffer, 4);
        std::memcpy(v + 12, &offset, 4);
        data += texts[i];
      }
    }
    c.format = "vu";
    c.buffers.push_back(std::move(views));
    c.buffers.emplace_back(data.begin(), data.end());
    if (c.buffers.back().empty()) c.buffers.back().push_back(0);
    const std::int64_t size = static_cast<std::int64_t>(data.size());
    std::vector<std::uint8_t> sizes(8);
    std::memcpy(sizes.data(), &size, 8);
    c.buffers.push_back(std::move(sizes));
    return;
  }
  std::string chars;
  std::vector<std::int64_t> offsets = {0};
  for (const std::string& t : texts) {
    chars += t;
    offsets.push_back(static_cast<std::int64_t>(chars.size()));
  }
  std::vector<std::uint8_t> raw;
  if (k == kind::utf8) {
    c.format = "u";
    raw.resize(offsets.size() * 4);
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      const auto o = static_cast<std::int32_t>(offsets[i]);
      std::memcpy(&raw[i * 4], &o, 4);
    }
  } else {
    c.format = "U";
    raw.resize(offsets.size() * 8);
    std::memcpy(raw.data(), offsets.data(), raw.size());
  }
  c.buffers.push_back(std::move(raw));
  c.buffers.emplace_back(chars.begin(), chars.end());
  if (c.buffers.back().empty()) c.buffers.back().push_back(0);
}

std::unique_ptr<arrow_column> make_column(FuzzedDataProvider& in, std::int64_t length, bool in_dictionary) {
  auto c = std::make_unique<arrow_column>();
  kind k = static_cast<kind>(in.ConsumeIntegralInRange<int>(0, kinds - 1));
  if (in_dictionary && (k == kind::dictionary || k == kind::unsupported)) k = kind::utf8;
  const std::int64_t offset = in.ConsumeIntegralInRange<std::int64_t>(0, 3);
  const auto slots = static_cast<std::size_t>(offset + length);
  // Validity: none, or a bitmap with a null count that is right or unknown (-1).
  const bool has_validity = in.ConsumeBool();
  std::vector<std::uint8_t> validity = bytes(in, (slots + 7) / 8);
  std::int64_t nulls = 0;
  if (has_validity) {
    for (std::int64_t i = offset; i < offset + length; ++i) nulls += !((validity[i >> 3] >> (i & 7)) & 1);
    if (in.ConsumeBool()) nulls = -1;
  }
  c->buffers.push_back(std::move(validity));
  switch (k) {
    case kind::boolean:
      c->format = "b";
      c->buffers.push_back(bytes(in, (slots + 7) / 8));
      break;
    case kind::timestamp: {
      static const char* const units[] = {"tss:", "tsm:", "tsu:", "tsn:"};
      static const char* const zones[] = {"", "UTC", "+08:00", "Asia/Shanghai"};
      c->format = std::string(units[in.ConsumeIntegralInRange<int>(0, 3)]) +
                  zones[in.ConsumeIntegralInRange<int>(0, 3)];
      std::vector<std::uint8_t> values = bytes(in, slots * 8);
      edge_values(in, values, kind::int64, slots);
      c->buffers.push_back(std::move(values));
      break;
    }
    case kind::decimal: {
      // The whole decimal128 range: negative scales, scales beyond the precision, unscaled
      // values of 64 bits, scaled up by 10^9, or any 128 bits.
      const int precision = in.ConsumeIntegralInRange<int>(1, 38);
      const int scale = in.ConsumeIntegralInRange<int>(-40, 60);
      c->format = "d:" + std::to_string(precision) + "," + std::to_string(scale);
      if (in.ConsumeBool()) c->format += ",128";
      std::vector<std::uint8_t> values = bytes(in, slots * 16);
      const int width = in.ConsumeIntegralInRange<int>(0, 2);
      for (std::size_t i = 0; width < 2 && i < slots; ++i) {
        std::int64_t lo;
        std::memcpy(&lo, &values[i * 16], 8);
        __int128 v = lo;
        if (width == 1) v *= 1000000000;
        std::memcpy(&values[i * 16], &v, 16);
      }
      edge_values(in, values, kind::decimal, slots);
      c->buffers.push_back(std::move(values));
      break;
    }
    case kind::utf8: case kind::large_utf8: case kind::utf8_view:
      make_strings(in, *c, k, slots);
      break;
    case kind::dictionary: {
      static const char* const index_formats[] = {"c", "C", "s", "S", "i", "I", "l", "L"};
      static const std::size_t index_widths[] = {1, 1, 2, 2, 4, 4, 8, 8};
      const int ix = in.ConsumeIntegralInRange<int>(0, 7);
      c->format = index_formats[ix];
      const auto entries = in.ConsumeIntegralInRange<std::int64_t>(0, 8);
      std::vector<std::uint8_t> indices = bytes(in, slots * index_widths[ix]);
      if (in.ConsumeBool()) {  // mostly in range, as producers promise; some rows not
        for (std::size_t i = 0; i < slots; ++i) {
          const std::uint64_t v = entries > 0 ? indices[i * index_widths[ix]] % entries : 0;
          std::memcpy(&indices[i * index_widths[ix]], &v, index_widths[ix]);
        }
      }
      c->buffers.push_back(std::move(indices));
      c->dictionary = make_column(in, entries, true);
      break;
    }
    case kind::unsupported: {
      static const char* const formats[] = {"n", "z", "e", "+l", "d:39,2", "d:x,2", "d:10,2,256",
                                            "ttm", "tsx:", "d:", ""};
      c->format = formats[in.ConsumeIntegralInRange<int>(0, 10)];
      c->buffers.push_back(bytes(in, slots * 8));
      break;
    }
    default: {
      c->format = fixed_format(k);
      std::vector<std::uint8_t> values = bytes(in, slots * width(k));
      edge_values(in, values, k, slots);
      c->buffers.push_back(std::move(values));
      break;
    }
  }
  c->seal(length, offset, nulls, has_validity);
  return c;
}

tierkit::column_view view(const arrow_column& c, const char* name) {
  return tierkit::python::column_from_arrow(c.schema, c.array, name);
}

void check_profile(const tierkit::profile& p) {
  const tierkit::validation_report& r = p.report;
  require(r.rows_read == r.rows_used + r.rows_dropped + r.rows_outside_window,
          "the report does not add up");
  std::int64_t lines = 0;
  for (std::int64_t t : p.transactions) lines += t;
  require(lines == r.rows_used, "customers' transactions do not add up to the rows used");
  for (std::size_t i = 1; i < p.size(); ++i) {
    if (p.customer.is_string) {
      require(p.customer.string_at(i - 1) < p.customer.string_at(i), "keys not ascending");
    } else {
      require(p.customer.ints[i - 1] < p.customer.ints[i], "keys not ascending");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::int64_t rows = in.ConsumeIntegralInRange<std::int64_t>(0, 48);
  auto row_count = [&]() { return in.ConsumeIntegralInRange<int>(0, 15) == 0 ? rows + 1 : rows; };
  std::vector<std::unique_ptr<arrow_column>> cols;
  for (int i = 0; i < 3; ++i) cols.push_back(make_column(in, row_count(), false));
  const unsigned optional_roles = in.ConsumeIntegral<std::uint8_t>() & 0x0f;
  for (int i = 0; i < 4; ++i) {
    if (optional_roles & (1u << i)) cols.push_back(make_column(in, row_count(), false));
  }

  tierkit::profile_config config;
  config.threads = 1;
  // Every representable date, not the default valid_dates: the edge days (0001-01-01,
  // 9999-12-31) must reach aggregation and finish, where day arithmetic could overflow. (No
  // input byte decides it, so the corpus keeps its meaning.)
  config.valid_dates = {tierkit::first_supported_day, tierkit::last_supported_day};
  config.on_invalid = in.ConsumeBool() ? tierkit::invalid_policy::drop : tierkit::invalid_policy::raise;
  if (in.ConsumeBool()) config.as_of = in.ConsumeIntegralInRange<std::int32_t>(-719200, 2933000);
  if (in.ConsumeBool()) config.window_start = in.ConsumeIntegralInRange<std::int32_t>(-719200, 2933000);
  config.period = static_cast<tierkit::period_kind>(
      in.ConsumeIntegralInRange<int>(0, static_cast<int>(tierkit::period_kind::year)));
  config.spend_series = in.ConsumeBool();
  config.purchase_days = in.ConsumeBool();
  if (in.ConsumeBool()) config.zone = tierkit::time_zone::fixed("+08:00", 8 * 3600);

  std::optional<tierkit::profile> profiled;
  try {
    tierkit::transactions tx;
    tx.customer = view(*cols[0], "customer");
    tx.time = view(*cols[1], "time");
    tx.amount = view(*cols[2], "amount");
    std::size_t next = 3;
    std::optional<tierkit::column_view>* optional[] = {&tx.order, &tx.quantity, &tx.channel, &tx.category};
    const char* names[] = {"order", "quantity", "channel", "category"};
    for (int i = 0; i < 4; ++i) {
      if (optional_roles & (1u << i)) *optional[i] = view(*cols[next++], names[i]);
    }
    tierkit::profile_state state(config);
    state.update(tx);
    if (in.ConsumeBool()) state.update(std::vector<tierkit::transactions>{tx, tx});
    profiled = state.finish(true);
    check_profile(*profiled);
  } catch (const tierkit::invalid_input&) {
  } catch (const tierkit::schema_error&) {
  }

  // The same columns as customer attributes keyed by the first one.
  try {
    std::vector<tierkit::column_view> attrs;
    const char* names[] = {"a1", "a2", "a3", "a4", "a5", "a6"};
    for (std::size_t i = 1; i < cols.size(); ++i) attrs.push_back(view(*cols[i], names[i - 1]));
    const tierkit::customer_attributes a =
        tierkit::customer_attributes::from_columns(view(*cols[0], "customer"), attrs, config.zone);
    require(a.size() <= static_cast<std::size_t>(cols[0]->array.length), "more attribute rows than keys");
    if (profiled) {
      const std::vector<std::int64_t> at = a.rows_of(profiled->customer);
      require(at.size() == profiled->size(), "rows_of: wrong length");
      for (std::int64_t r : at) require(r >= -1 && r < static_cast<std::int64_t>(a.size()), "rows_of: row out of range");
    }
  } catch (const tierkit::invalid_input&) {
  } catch (const tierkit::schema_error&) {
  }
  return 0;
}
