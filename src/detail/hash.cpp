#include "detail/hash.hpp"

#include <chrono>
#include <random>

namespace tierkit::detail {

namespace {
std::uint64_t splitmix(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

hash_key draw_key() noexcept {
  std::uint64_t state = 0;
  try {
    std::random_device device;
    for (int i = 0; i < 4; ++i) state = state << 32 ^ state >> 32 ^ device();
  } catch (...) {  // no entropy source: the clock and an address (ASLR) still vary per run
  }
  int here = 0;
  state ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  state ^= mix64(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&here)));
  hash_key key;
  key.offset = splitmix(state);
  key.multiplier = splitmix(state) | 1;
  return key;
}
}  // namespace

const hash_key& process_hash_key() noexcept {
  static const hash_key key = draw_key();
  return key;
}

}  // namespace tierkit::detail
