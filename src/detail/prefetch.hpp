#pragma once
// Software prefetch that the optimizer keeps.
//
// GCC 12 at -O2 deletes a __builtin_prefetch reached after a conditional early return in
// an inlined member function (key_dictionary::prefetch compiled to nothing: integer key
// lookups ran without the prefetches their loops were written around). On x86-64 with GCC
// or Clang the prefetch is therefore an asm statement, which is never removed; elsewhere
// it falls back to the builtin. A prefetch never faults, so the address may lie outside
// any object (past the end of a buffer, say); it is never dereferenced by the compiler.
namespace tierkit::detail {

inline void prefetch(const void* p) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace tierkit::detail
