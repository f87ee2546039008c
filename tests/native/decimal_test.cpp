// decimal_to_double (the envelope decoder's slow number path) gives what strtod gives: the
// nearest double, ties to even, on round trips, random digit strings, long mantissas, subnormals,
// overflow, and the exact halfway points between neighbouring doubles (and just off them).
#include "decimal.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace realtime {
namespace {

void expect_same(const std::string& s) {
  double want = std::strtod(s.c_str(), nullptr);
  double got = decimal_to_double(s);
  std::uint64_t a, b;
  std::memcpy(&a, &want, 8);
  std::memcpy(&b, &got, 8);
  ASSERT_EQ(a, b) << s << ": strtod " << want << ", ours " << got;
}

TEST(Decimal, Basics) {
  for (const char* s : {"0",
                        "-0",
                        "0.0",
                        "1",
                        "-1",
                        "0.5",
                        "12.5",
                        "0.05",
                        "1.05",
                        "1e0",
                        "1E+2",
                        "1e-2",
                        "123456789012345678901234567890",
                        "0.1",
                        "0.2",
                        "0.3",
                        "1e22",
                        "1e23",
                        "9007199254740993",
                        "9007199254740992.5",
                        "1.7976931348623157e308",
                        "1.7976931348623158e308",
                        "1.7976931348623159e308",
                        "2e308",
                        "1e400",
                        "-1e400",
                        "4.9406564584124654e-324",
                        "2.4703282292062327e-324",
                        "2.4703282292062328e-324",
                        "1e-324",
                        "1e-400",
                        "2.2250738585072011e-308",
                        "2.2250738585072012e-308",
                        "0.000000000000000000000000000000000001",
                        "1e99999",
                        "1e-99999",
                        "17000000000000000000000.5"}) {
    expect_same(s);
  }
}

TEST(Decimal, RoundTripsAndRandomDigits) {
  std::mt19937_64 rng(42);
  char buf[64];
  for (int n = 0; n < 200000; ++n) {
    std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, 8);
    if (!std::isfinite(d)) continue;
    std::snprintf(buf, sizeof buf, "%.17g", d);
    expect_same(buf);
    std::snprintf(buf, sizeof buf, "%.*e", static_cast<int>(rng() % 25), d);
    expect_same(buf);
  }
  for (int n = 0; n < 100000; ++n) {
    std::string s = rng() % 2 ? "-" : "";
    int digits = 1 + static_cast<int>(rng() % 40);
    s += static_cast<char>('1' + rng() % 9);
    for (int i = 1; i < digits; ++i) s += static_cast<char>('0' + rng() % 10);
    if (rng() % 2) s.insert(s.size() - rng() % digits, ".");
    if (s.back() == '.') s += '0';
    if (rng() % 2) s += "e" + std::to_string(static_cast<int>(rng() % 700) - 350);
    expect_same(s);
  }
}

TEST(Decimal, LongMantissas) {
  std::mt19937_64 rng(7);
  for (int n = 0; n < 300; ++n) {
    std::string s = "0.";
    int digits = 700 + static_cast<int>(rng() % 400);  // around the 800 kept digits
    for (int i = 0; i < digits; ++i) s += static_cast<char>('0' + rng() % 10);
    s += "e" + std::to_string(static_cast<int>(rng() % 600) - 300);
    expect_same(s);
  }
}

// The exact decimal value of the midpoint between a double and the next one up (long double
// holds it exactly when it has at least 54 mantissa bits), and that value nudged either way.
TEST(Decimal, HalfwayPoints) {
  if (LDBL_MANT_DIG < 54) GTEST_SKIP() << "long double cannot hold a midpoint";
  std::mt19937_64 rng(9);
  static char buf[2000];
  for (int n = 0; n < 3000; ++n) {
    std::uint64_t bits = rng() & 0x7FEFFFFFFFFFFFFFull;
    if (n % 3 == 0) bits &= 0x000FFFFFFFFFFFFFull;  // subnormals too
    if (n % 3 == 1)
      bits = (bits & 0x000FFFFFFFFFFFFFull) | (std::uint64_t{1023 + rng() % 120} << 52);
    double lo;
    std::memcpy(&lo, &bits, 8);
    double hi = std::nextafter(lo, INFINITY);
    long double mid = (static_cast<long double>(lo) + static_cast<long double>(hi)) / 2;
    std::snprintf(buf, sizeof buf, "%.800Le", mid);
    std::string s = buf;
    expect_same(s);
    std::string mantissa = s.substr(0, s.find('e'));
    std::string exp = s.substr(s.find('e'));
    while (mantissa.back() == '0') mantissa.pop_back();
    expect_same(mantissa + "1" + exp);                          // just above
    expect_same(mantissa + std::string(900, '0') + "1" + exp);  // above, past the 800 kept digits
    // just below: the last non-zero digit minus one, then nines
    std::string below = mantissa;
    std::size_t last = below.find_last_not_of("0.");
    if (last != std::string::npos && below[last] > '0' && last > 0) {
      below[last] = static_cast<char>(below[last] - 1);
      expect_same(below + "999" + exp);
    }
  }
}

}  // namespace
}  // namespace realtime
