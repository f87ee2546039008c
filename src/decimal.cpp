// "Simple decimal conversion" (the slow path of Go's strconv.ParseFloat and of Wuffs): the
// decimal is held as up to kMaxDigits digits and shifted by powers of two until it is a 53-bit
// mantissa, which is then rounded. Only integer arithmetic: musl's strtod, the one before this,
// computes in software 128-bit long double and brought 7.5 kB gzip of code into the module.
// Correct for any input: digits past kMaxDigits only matter as "something non-zero follows",
// which `truncated` keeps (800 digits are more than any double's exact halfway point needs).
#include "decimal.h"

#include <cstdint>
#include <cstring>

namespace realtime {
namespace {

constexpr int kMaxDigits = 800;
constexpr int kMaxShift = 60;  // digit * 2^60 + carry stays below 2^64

struct Decimal {
  unsigned char d[kMaxDigits];  // digit values 0-9, most significant first, no leading zeros
  int nd = 0;                   // digits in d
  int dp = 0;                   // decimal point: the value is 0.d[0]d[1]... * 10^dp
  bool truncated = false;       // non-zero digits were dropped past kMaxDigits

  void trim() {
    while (nd > 0 && d[nd - 1] == 0) --nd;
    if (nd == 0) dp = 0;
  }

  // Divides by 2^k (k <= kMaxShift).
  void right_shift(int k) {
    int r = 0, w = 0;
    std::uint64_t n = 0;
    for (; (n >> k) == 0; ++r) {  // the first digit of the result
      if (r >= nd) {
        if (n == 0) {
          nd = 0;
          return;
        }
        while ((n >> k) == 0) {
          n *= 10;
          ++r;
        }
        break;
      }
      n = n * 10 + d[r];
    }
    dp -= r - 1;
    const std::uint64_t mask = (std::uint64_t{1} << k) - 1;
    for (; r < nd; ++r) {
      std::uint64_t c = d[r];
      std::uint64_t dig = n >> k;
      n &= mask;
      d[w++] = static_cast<unsigned char>(dig);
      n = n * 10 + c;
    }
    while (n > 0) {
      std::uint64_t dig = n >> k;
      n &= mask;
      if (w < kMaxDigits) {
        d[w++] = static_cast<unsigned char>(dig);
      } else if (dig > 0) {
        truncated = true;
      }
      n *= 10;
    }
    nd = w;
    trim();
  }

  // Multiplies by 2^k (k <= kMaxShift).
  void left_shift(int k) {
    // The product's digits, least significant first, into a scratch buffer, then moved back.
    unsigned char out[kMaxDigits + 20];
    int len = 0;
    std::uint64_t n = 0;
    for (int r = nd - 1; r >= 0; --r) {
      n += static_cast<std::uint64_t>(d[r]) << k;
      out[len++] = static_cast<unsigned char>(n % 10);
      n /= 10;
    }
    while (n > 0) {
      out[len++] = static_cast<unsigned char>(n % 10);
      n /= 10;
    }
    dp += len - nd;
    // Keep the kMaxDigits most significant; a dropped non-zero digit sets `truncated`.
    int drop = len > kMaxDigits ? len - kMaxDigits : 0;
    for (int i = 0; i < drop; ++i) {
      if (out[i] != 0) truncated = true;
    }
    nd = len - drop;
    for (int i = 0; i < nd; ++i) d[i] = out[len - 1 - i];
    trim();
  }

  void shift(int k) {
    if (nd == 0) return;
    for (; k > kMaxShift; k -= kMaxShift) left_shift(kMaxShift);
    for (; k < -kMaxShift; k += kMaxShift) right_shift(kMaxShift);
    if (k > 0) left_shift(k);
    if (k < 0) right_shift(-k);
  }

  // Round up when the digits from position `at` on are more than half, or exactly half and the
  // digit before is odd (ties to even); digits dropped past kMaxDigits make a tie "more".
  bool round_up(int at) const {
    if (at < 0 || at >= nd) return false;
    if (d[at] == 5 && at + 1 == nd) {
      if (truncated) return true;
      return at > 0 && d[at - 1] % 2 == 1;
    }
    return d[at] >= 5;
  }

  // The integer part, rounded.
  std::uint64_t rounded_integer() const {
    if (dp > 20) return ~std::uint64_t{0};
    std::uint64_t n = 0;
    int i = 0;
    for (; i < dp && i < nd; ++i) n = n * 10 + d[i];
    for (; i < dp; ++i) n *= 10;
    if (round_up(dp)) ++n;
    return n;
  }
};

double from_bits(std::uint64_t bits) {
  double d;  // std::bit_cast is missing from emscripten 3.1.6's libc++
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

}  // namespace

double decimal_to_double(std::string_view text) {
  Decimal a;
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  const std::uint64_t sign = negative ? std::uint64_t{1} << 63 : 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (c == '0' && a.nd == 0) {  // leading zero
      if (seen_point) --a.dp;
      continue;
    }
    if (!seen_point) ++a.dp;
    if (a.nd < kMaxDigits) {
      a.d[a.nd++] = static_cast<unsigned char>(c - '0');
    } else if (c != '0') {
      a.truncated = true;
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    int e = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (e < 100000) e = e * 10 + (text[i] - '0');
    }
    a.dp += exp_negative ? -e : e;
  }
  a.trim();
  if (a.nd == 0) return from_bits(sign);                           // zero
  if (a.dp > 310) return from_bits(sign | 0x7FF0000000000000ull);  // overflow: inf
  if (a.dp < -330) return from_bits(sign);                         // underflow: zero

  constexpr int kMantBits = 52;
  constexpr int kBias = -1023;
  static constexpr int kPowTab[] = {1, 3, 6, 9, 13, 16, 19, 23, 26};  // 10^i ~ 2^kPowTab[i]
  constexpr int kPowTabLen = sizeof kPowTab / sizeof kPowTab[0];
  int exp = 0;
  // Scale by powers of two to [0.5, 1).
  while (a.dp > 0) {
    int n = a.dp >= kPowTabLen ? 27 : kPowTab[a.dp];
    a.shift(-n);
    exp += n;
  }
  while (a.dp < 0 || (a.dp == 0 && a.d[0] < 5)) {
    int n = -a.dp >= kPowTabLen ? 27 : kPowTab[-a.dp];
    a.shift(n);
    exp -= n;
  }
  --exp;                  // [0.5, 1) -> [1, 2)
  if (exp < kBias + 1) {  // subnormal: shift the excess out
    int n = kBias + 1 - exp;
    a.shift(-n);
    exp += n;
  }
  if (exp - kBias >= 0x7FF) return from_bits(sign | 0x7FF0000000000000ull);
  a.shift(1 + kMantBits);
  std::uint64_t mant = a.rounded_integer();
  if (mant == std::uint64_t{2} << kMantBits) {  // rounding carried: 1.111...1 -> 10.000...0
    mant >>= 1;
    ++exp;
    if (exp - kBias >= 0x7FF) return from_bits(sign | 0x7FF0000000000000ull);
  }
  if ((mant & (std::uint64_t{1} << kMantBits)) == 0) exp = kBias;  // subnormal
  std::uint64_t bits = (mant & ((std::uint64_t{1} << kMantBits) - 1)) |
                       (static_cast<std::uint64_t>((exp - kBias) & 0x7FF) << kMantBits);
  return from_bits(sign | bits);
}

}  // namespace realtime
