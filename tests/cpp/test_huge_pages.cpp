#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "detail/huge_pages.hpp"

#include <sys/mman.h>

using namespace tierkit::detail;

namespace {
// The kernel's flags of the mapping that holds `address` ("hg": advised for huge pages),
// from /proc/self/smaps; empty when unknown.
std::string mapping_flags(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t from = 0, to = 0;
    char dash = 0;
    std::istringstream range(line);
    if (line.find('-') < line.find(' ') && (range >> std::hex >> from >> dash >> to) && dash == '-') {
      inside = from <= at && at < to;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return {};
}

std::string setting(const char* path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}
}  // namespace

TEST_CASE("new columns hold the values asked for, small, large and copied") {
  CHECK(new_column<int>(0).empty());
  CHECK(new_column<std::int32_t>(5, -1) == std::vector<std::int32_t>(5, -1));
  const std::vector<double> big = new_column<double>(3 << 20, 2.5);  // 24 MiB
  CHECK(big.size() == std::size_t{3} << 20);
  CHECK(big.front() == 2.5);
  CHECK(big.back() == 2.5);
  CHECK(copy_column(big) == big);
  std::vector<std::int64_t> v;
  assign_new_column(v, 7, std::int64_t{9});
  CHECK(v == std::vector<std::int64_t>(7, 9));
  advise_huge_pages(v.data(), 0);  // nothing to advise: no effect, no error
  advise_huge_pages(nullptr, std::size_t{1} << 30);
}

TEST_CASE("a large new column is advised for huge pages where the kernel has them") {
  const std::string enabled = setting("/sys/kernel/mm/transparent_hugepage/enabled");
  if (enabled.empty() || enabled.find("[never]") != std::string::npos) {
    MESSAGE("transparent huge pages are off or unknown here: nothing to check");
    return;
  }
  const std::vector<double> big = new_column<double>(std::size_t{8} << 20);  // 64 MiB
  // The middle of the column is inside a whole 2 MiB page of the advised range.
  const std::string flags = mapping_flags(big.data() + big.size() / 2);
  REQUIRE(!flags.empty());
  CHECK(flags.find(" hg") != std::string::npos);
  // Below the threshold nothing is asked for. (Checked on a mapping of our own: malloc's
  // heap may hold ranges advised for earlier large blocks.)
  const std::size_t bytes = std::size_t{16} << 20;
  void* own = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(own != MAP_FAILED);
  advise_huge_pages(own, huge_page_threshold - 1);
  CHECK(mapping_flags(own).find(" hg") == std::string::npos);
  advise_huge_pages(own, bytes);
  CHECK(mapping_flags(static_cast<char*>(own) + bytes / 2).find(" hg") != std::string::npos);
  munmap(own, bytes);
}
