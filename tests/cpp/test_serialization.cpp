#include <doctest/doctest.h>
#include <tierkit/error.hpp>
#include <tierkit/serialization.hpp>
#include <tierkit/over_time/period_table.hpp>
#include <tierkit/strategies/pareto_nbd.hpp>
#include <tierkit/strategy.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace tierkit;

namespace {
metric_table sample() {
  metric_table t;
  t.add("recency", {1, 5, 9, NAN, 30, 2});
  t.add("frequency", {4, 1, 1, 0, 2, 8});
  t.add("monetary", {100, 0, -5, -1, 20.5, 900});
  return t;
}
}  // namespace

TEST_CASE("save then load is the identity for RFM and ABC models and segment tables") {
  const rfm_model r = rfm_strategy().fit_rfm(sample());
  CHECK(rfm_model_from_bytes(to_bytes(r)) == r);
  const abc_model a = abc_strategy().fit_abc(sample().column("monetary", "test"));
  CHECK(abc_model_from_bytes(to_bytes(a)) == a);  // NaN and infinities survive
  const segment_table t = segment_table::english();
  CHECK(segment_table_from_bytes(to_bytes(t)).rules().size() == 11);
  CHECK(segment_table_from_bytes(to_bytes(t)).rules()[9].label_zh == "休眠客户");
  const std::unique_ptr<model> any = load_model(r.to_bytes());
  CHECK(any->kind() == "rfm");
}

TEST_CASE("damaged bytes give format_error, never a crash") {
  const std::string good = to_bytes(rfm_strategy().fit_rfm(sample()));
  CHECK_THROWS_WITH_AS(rfm_model_from_bytes("hello"), doctest::Contains("not tierkit data"), format_error);
  CHECK_THROWS_WITH_AS(rfm_model_from_bytes(good.substr(0, good.size() - 3)),
                       doctest::Contains("truncated"), format_error);
  std::string flipped = good;
  flipped[flipped.size() - 10] ^= 0x20;
  CHECK_THROWS_WITH_AS(rfm_model_from_bytes(flipped), doctest::Contains("checksum"), format_error);
  std::string future = good;
  future[8] = 7;  // format version 7
  CHECK_THROWS_WITH_AS(rfm_model_from_bytes(future), doctest::Contains("format version 7"), format_error);
  CHECK_THROWS_WITH_AS(abc_model_from_bytes(good), doctest::Contains("hold a 'rfm', not a 'abc'"),
                       format_error);
  // Every truncation of a valid envelope is rejected cleanly.
  for (std::size_t n = 0; n < good.size(); n += 7) {
    CHECK_THROWS_AS(rfm_model_from_bytes(good.substr(0, n)), format_error);
  }
}

namespace {
// A format 1 envelope around `payload` (kind, length, FNV-1a 64 checksum), which every
// later format still reads: what a crafted file with a valid envelope looks like.
std::string envelope(const std::string& kind, const std::string& payload) {
  std::string out = "TIERKIT\x1a";
  auto put = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(1, 4);
  put(kind.size(), 2);
  out += kind;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : payload) h = (h ^ c) * 0x100000001b3ULL;
  put(payload.size(), 8);
  put(h, 8);
  return out + payload;
}

// The payload of an envelope written by to_bytes.
std::string payload_of(const std::string& bytes) {
  const std::size_t kind_len = static_cast<unsigned char>(bytes[12]) + 256u * static_cast<unsigned char>(bytes[13]);
  return bytes.substr(14 + kind_len + 16);
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("format 2 envelopes: every flipped bit of the payload is caught; format 1 envelopes still load") {
  const rfm_model r = rfm_strategy().fit_rfm(sample());
  const std::string good = to_bytes(r);
  CHECK(static_cast<unsigned char>(good[8]) == 2);  // the format version, little-endian
  CHECK(good.substr(9, 3) == std::string(3, '\0'));
  // The same payload in a format 1 envelope (FNV-1a over bytes) loads to the same model.
  CHECK(rfm_model_from_bytes(envelope("rfm", payload_of(good))) == r);
  // A single flipped bit anywhere in the payload: in the four lanes' words, across their
  // boundaries and in the tail bytes past the last 32-byte step.
  const std::size_t start = good.size() - payload_of(good).size();
  std::size_t caught = 0, tried = 0;
  for (std::size_t at = start; at < good.size(); at += (at < start + 80 || at + 80 > good.size()) ? 1 : 13) {
    for (int bit : {0, 5, 7}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ (1 << bit));
      ++tried;
      try {
        (void)rfm_model_from_bytes(bad);
      } catch (const format_error& e) {
        caught += std::string(e.what()).find("checksum") != std::string::npos;
      }
    }
  }
  CHECK(tried > 300);
  CHECK(caught == tried);
  // Two words swapped within a lane's step change it too (the lanes are position-sensitive).
  std::string swapped = good;
  std::swap_ranges(swapped.begin() + static_cast<std::ptrdiff_t>(start),
                   swapped.begin() + static_cast<std::ptrdiff_t>(start + 8),
                   swapped.begin() + static_cast<std::ptrdiff_t>(start + 32));
  if (swapped != good) CHECK_THROWS_WITH_AS(rfm_model_from_bytes(swapped), doctest::Contains("checksum"), format_error);
}

TEST_CASE("declared lengths beyond the payload give format_error before anything is allocated") {
  const abc_model a = abc_strategy().fit_abc(sample().column("monetary", "test"));
  const std::string payload = payload_of(to_bytes(a));
  CHECK(abc_model_from_bytes(envelope("abc", payload)) == a);  // the helper writes valid envelopes
  // The column name ("monetary", 8 bytes) declared as 1.5 GB.
  const std::string long_string = replaced(payload, " 8 monetary ", " 1500000000 monetary ");
  CHECK_THROWS_WITH_AS(abc_model_from_bytes(envelope("abc", long_string)),
                       doctest::Contains("declares a string of 1500000000 bytes, but only"),
                       format_error);
  // The class labels (a vector of three strings: A, B, C) declared as 900 million.
  const std::string many_labels = replaced(payload, " 3 0 1 A 1 B 1 C ", " 900000000 0 1 A 1 B 1 C ");
  CHECK_THROWS_WITH_AS(abc_model_from_bytes(envelope("abc", many_labels)),
                       doctest::Contains("declares a collection of 900000000 items"), format_error);
  // The shares (two doubles, written by detail::archive_doubles) declared as 4 billion.
  const std::string many_shares = replaced(payload, " 0 2 ", " 0 4000000000 ");
  CHECK_THROWS_WITH_AS(abc_model_from_bytes(envelope("abc", many_shares)),
                       doctest::Contains("declares a vector of doubles of 4000000000 items"),
                       format_error);
  // A string that runs past the end of the payload by one byte.
  const std::string past_end = payload.substr(0, payload.find(" 8 monetary ")) + " 9 monetary";
  CHECK_THROWS_AS(abc_model_from_bytes(envelope("abc", past_end)), format_error);
}

TEST_CASE("a kind field that is not a name gives format_error") {
  std::string bytes = to_bytes(rfm_strategy().fit_rfm(sample()));
  bytes[14] = '\xff';  // the first byte of "rfm": not UTF-8 text
  CHECK_THROWS_WITH_AS(envelope_kind(bytes), doctest::Contains("the kind field"), format_error);
  CHECK_THROWS_WITH_AS(rfm_model_from_bytes(bytes), doctest::Contains("the kind field"), format_error);
}

TEST_CASE("strategies come from the registry by name, with their options checked") {
  const auto names = registered_strategies();
  CHECK(std::find(names.begin(), names.end(), "rfm") != names.end());
  options o;
  o.set("frequency_bins", 3.0);
  o.set("segments", std::string("r_rfm"));
  const std::unique_ptr<model> m = make_strategy("rfm", o)->fit(sample());
  CHECK(dynamic_cast<const rfm_model&>(*m).frequency().bins == 3);
  options typo;
  typo.set("frequncy_bins", 3.0);
  CHECK_THROWS_WITH_AS(make_strategy("rfm", typo),
                       doctest::Contains("unknown option 'frequncy_bins' (did you mean 'frequency_bins'"),
                       invalid_input);
  CHECK_THROWS_WITH_AS(make_strategy("rmf"), doctest::Contains("no strategy named 'rmf'"), invalid_input);
  options abc;
  abc.set("mode", std::string("count"));
  CHECK(make_strategy("abc", abc)->fit(sample())->apply(sample()).column("abc_class").labels.size() == 4);
}

TEST_CASE("applications register their own strategies") {
  struct constant_model final : model {
    std::string kind() const override { return "constant"; }
    score_table apply(const metric_table& t) const override {
      score_table s;
      s.add_integers("one", std::vector<std::int64_t>(t.rows(), 1));
      return s;
    }
    score_table summary() const override { return {}; }
    std::unique_ptr<model> clone() const override { return std::make_unique<constant_model>(); }
    std::string to_bytes() const override { return {}; }
  };
  struct constant_strategy final : strategy {
    std::string kind() const override { return "constant"; }
    std::unique_ptr<model> fit(const metric_table&) const override {
      return std::make_unique<constant_model>();
    }
  };
  register_strategy(
      "constant", [](const options&) { return std::make_unique<constant_strategy>(); },
      [](const std::string&) { return std::make_unique<constant_model>(); });
  CHECK(make_strategy("constant")->fit(sample())->apply(sample()).column("one").integers.size() == 6);
}

TEST_CASE("write_file replaces a file only when all of it is written, leaving no temporary file") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("tierkit_write_file_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  auto entries = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::string model = (dir / "model.tkm").string();
  write_file(model, "old contents");
  write_file(model, to_bytes(rfm_strategy().fit_rfm(sample())));
  CHECK(rfm_model_from_bytes(read_file(model)).recency().bins == 5);
  CHECK(entries() == std::vector<std::string>{"model.tkm"});

  // A target that cannot be replaced (a directory): the error names it, nothing is left.
  fs::create_directory(dir / "taken");
  fs::create_directory(dir / "taken" / "inside");
  CHECK_THROWS_WITH_AS(write_file((dir / "taken").string(), "new"),
                       doctest::Contains("an existing file there is left as it was"), format_error);
  CHECK(entries() == std::vector<std::string>{"model.tkm", "taken"});
  // A directory that does not exist.
  CHECK_THROWS_WITH_AS(write_file((dir / "missing" / "m.tkm").string(), "new"),
                       doctest::Contains("cannot create a file in"), format_error);
  // A symbolic link keeps pointing at the replaced file.
  fs::create_symlink("model.tkm", dir / "link.tkm");
  write_file((dir / "link.tkm").string(), "through the link");
  CHECK(fs::is_symlink(dir / "link.tkm"));
  CHECK(read_file(model) == "through the link");
  fs::remove_all(dir);
}

// The model-loader fuzz target's findings (fuzz/corpus/model/regression-*), read as the target
// reads them: the first byte names the loader, the rest is a payload wrapped in a valid
// envelope. Each once crashed or overflowed; now it loads as format_error or loads into an
// object that can be used.
TEST_CASE("inputs the model fuzzer found give format_error or usable objects") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(TIERKIT_SOURCE_DIR) / "fuzz" / "corpus" / "model";
  const char* kinds[] = {"rfm",          "abc",          "segment_table", "lifecycle", "value_potential",
                         "asset_bands",  "tier_policy",  "tier_ledger",   "profile_state", "customer_history",
                         "bg_nbd",       "pareto_nbd",   "gamma_gamma",   "clv",        "kmeans",
                         "period_table", "profile",      "cpp_grouped"};
  constexpr std::size_t loaders = sizeof(kinds) / sizeof(kinds[0]);
  int seen = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("regression-", 0) != 0) continue;
    ++seen;
    const std::string bytes = read_file(e.path().string());
    REQUIRE(!bytes.empty());
    const std::size_t which = (static_cast<unsigned char>(bytes[0]) & 0x7f) % loaders;
    const std::string rest = bytes.substr(1);
    const std::string in = (bytes[0] & 0x80) ? rest : wrap_envelope(kinds[which], rest);
    CAPTURE(e.path().filename().string());
    try {
      switch (which) {
        case 4: (void)value_potential_model_from_bytes(in).summary(); break;
        case 8: {
          profile_state s = profile_state_from_bytes(in);
          profile_state twice = s;
          try {
            twice.merge(s);
          } catch (const invalid_input&) {
          }
          (void)s.finish(true);
          break;
        }
        case 9: {
          const customer_history h = customer_history_from_bytes(in);
          CHECK(h.size() == h.first_purchase.size());
          break;
        }
        case 11: {
          // Parameters far beyond any data: the likelihood finishes (NaN is its answer).
          const std::vector<double> x = {0, 1, 4, 1000}, t_x = {0, 2.5, 30, 10}, T = {1, 10, 38.86, 100};
          clv_data d;
          d.x = x;
          d.t_x = t_x;
          d.T = T;
          (void)pareto_nbd_model_from_bytes(in).log_likelihood(d);
          break;
        }
        case 15: {
          const period_table t = period_table_from_bytes(in);
          CHECK(window_profile({&t}, 1).size() == t.size());
          break;
        }
        default: FAIL("a regression input for a loader this test does not use: add it here");
      }
    } catch (const format_error&) {
      // refused as damaged: what these inputs should give
    }
  }
  CHECK(seen >= 4);
}
