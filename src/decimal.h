// Decimal text to the nearest double, for the numbers the envelope decoder's fast path cannot
// take (more than 19 significant digits, a mantissa over 2^53, or 10^k beyond 10^±22).
#pragma once

#include <string_view>

namespace realtime {

// `text` is a JSON number (RFC 8259 grammar, already validated). Returns the double nearest to
// its exact value, ties to even (what strtod returns), ±inf when it overflows, ±0 below the
// smallest subnormal.
double decimal_to_double(std::string_view text);

}  // namespace realtime
