// Function attributes the core shares.
#pragma once

// Code that runs per connection event (open, close, timers, acks, lifecycle), not per frame: kept
// small even where a file is compiled -O3 for its per-frame path, and never inlined into that
// path (link-time optimization would otherwise inline it there and grow the module).
#define RT_COLD [[gnu::cold, gnu::noinline]]
