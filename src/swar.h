// Eight bytes at a time in a 64-bit word ("SIMD within a register"), for the byte scans of the
// per-frame paths (the envelope scanner, the SSE line scan). Little-endian only: callers keep a
// byte-at-a-time loop for the tail and for big-endian targets.
#pragma once
#include <cstdint>
#include <cstring>

namespace realtime::swar {

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

inline std::uint64_t load8(const unsigned char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

// The high bit of every byte of x equal to c. A borrow may also flag bytes above a flagged one,
// never below: the lowest flag is exact (enough to find the first match).
constexpr std::uint64_t bytes_equal_lowest(std::uint64_t x, unsigned char c) {
  const std::uint64_t v = x ^ (kOnes * c);
  return (v - kOnes) & ~v & kHighs;
}

// The high bit of every byte of x equal to c, and of no other (exact: for counting).
constexpr std::uint64_t bytes_equal(std::uint64_t x, unsigned char c) {
  constexpr std::uint64_t kLow7 = ~kHighs;
  const std::uint64_t v = x ^ (kOnes * c);
  return ~(((v & kLow7) + kLow7) | v | kLow7);
}

// The high bit of every byte of x below `limit` (limit <= 0x80); the lowest flag is exact.
constexpr std::uint64_t bytes_below_lowest(std::uint64_t x, unsigned char limit) {
  return (x - kOnes * limit) & ~x & kHighs;
}

}  // namespace realtime::swar
