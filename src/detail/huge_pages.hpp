#pragma once
// New large columns backed by 2 MiB pages where the kernel offers them.
//
// Why: an output column of 10^7 values is new memory on every call, usually fresh pages
// from the kernel (glibc maps allocations this large afresh, above its mmap threshold,
// which grows with what is freed up to 32 MiB; below it they come from a heap arena). With
// 4 KiB pages the first touch is one page fault per 4 KiB, and the faults can cost as much
// as the work that fills the column (the asset bands' five output columns took markedly
// less time once advised). Transparent huge pages in "madvise" mode (this
// machine's, and many distributions' default) back only ranges that ask for it; numpy asks
// for every allocation of 4 MiB or more, and so do we. Advice on a heap range stays with the
// range when malloc reuses it (harmless: huge pages for later large blocks too). Where huge
// pages are off, or not on Linux, the advice does nothing and the columns are ordinary memory.
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tierkit::detail {

// Columns smaller than this are left alone (as numpy does): a 2 MiB page would be mostly
// empty, and small allocations come from malloc's reused heap anyway.
constexpr std::size_t huge_page_threshold = std::size_t{1} << 22;

// Advises the whole 2 MiB pages inside [data, data + bytes) for huge pages. Best effort:
// errors (an old kernel, huge pages disabled) are ignored.
inline void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (data == nullptr || bytes < huge_page_threshold) return;
  constexpr std::uintptr_t page = std::uintptr_t{1} << 21;
  const auto at = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t from = (at + page - 1) & ~(page - 1), to = (at + bytes) & ~(page - 1);
  if (to > from) (void)madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

// v.assign(n, value) for a new column: the memory is reserved and advised before the
// values touch it. `v` should be empty (a vector already holding memory keeps it).
template <class T>
void assign_new_column(std::vector<T>& v, std::size_t n, const typename std::vector<T>::value_type& value = {}) {
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
  v.assign(n, value);
}

template <class T>
std::vector<T> new_column(std::size_t n, const typename std::vector<T>::value_type& value = {}) {
  std::vector<T> v;
  assign_new_column(v, n, value);
  return v;
}

// A copy of a column, its values converted to T, itself a new column.
template <class T, class From>
std::vector<T> column_as(const std::vector<From>& from) {
  std::vector<T> v;
  v.reserve(from.size());
  advise_huge_pages(v.data(), from.size() * sizeof(T));
  v.assign(from.begin(), from.end());
  return v;
}

template <class T>
std::vector<T> copy_column(const std::vector<T>& from) {
  return column_as<T>(from);
}

}  // namespace tierkit::detail
