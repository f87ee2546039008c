#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz (clang++-14, ASan + UBSan) into build/fuzz — the main
# CMake project with RT_BUILD_FUZZERS=ON, preset `fuzz` — and runs each one for N seconds (default
# 30) on a scratch copy of its committed seed corpus.
#
#   scripts/fuzz.sh [seconds-per-target]
#
# Prints one summary line per target (executions, cov:, ft:, corpus size). Exits non-zero when a
# target crashes, leaks, times out or fails to build; the crashing inputs are copied to
# build/fuzz-findings/<target>/. The committed corpus (tests/fuzz/corpus) is never written to.
# Environment: FUZZ_CXX (default clang++-14), FUZZ_TARGETS (default "jwt_fuzz envelope_fuzz
# sse_fuzz"), FUZZ_JOBS (build parallelism, default nproc).
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds-per-target]   (a positive integer, default 30)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cxx="${FUZZ_CXX:-clang++-14}"
targets=(${FUZZ_TARGETS:-jwt_fuzz envelope_fuzz sse_fuzz})
build="$root/build/fuzz"
scratch="$build/run"
findings="$root/build/fuzz-findings"
fuzz_src="$root/tests/fuzz"

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz.sh: $cxx not found. On Debian 12: sudo apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi
runtime_dir="$("$cxx" -print-runtime-dir 2>/dev/null || true)"
if [[ -n "$runtime_dir" ]] && ! compgen -G "$runtime_dir/libclang_rt.fuzzer*.a" >/dev/null; then
  echo "fuzz.sh: libFuzzer runtime missing in $runtime_dir (sudo apt-get install libclang-rt-14-dev)" >&2
  exit 2
fi
if ! command -v cmake >/dev/null 2>&1; then
  echo "fuzz.sh: cmake not found (sudo apt-get install cmake)" >&2
  exit 2
fi

# build/fuzz once held tests/fuzz as a project of its own: a cache from then cannot be reused.
if [[ -f "$build/CMakeCache.txt" ]] &&
   ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$root" "$build/CMakeCache.txt"; then
  echo "== $build was configured from another source directory: starting it afresh"
  rm -rf "$build"
fi
mkdir -p "$build"
echo "== configure (preset fuzz) + build the fuzzers with $cxx -> $build"
(cd "$root" && cmake --preset fuzz -DCMAKE_CXX_COMPILER="$cxx") >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log" >&2
  echo "fuzz.sh: configure failed" >&2
  exit 1
}
grep -E '^-- fuzz:' "$build/configure.log" || true
(cd "$root" && cmake --build --preset fuzz -j"${FUZZ_JOBS:-$(nproc)}")

# Dictionary for each target (optional).
dict_for() {
  case "$1" in
    jwt_fuzz) echo "$fuzz_src/jwt.dict" ;;
    envelope_fuzz) echo "$fuzz_src/json.dict" ;;
    sse_fuzz) echo "$fuzz_src/sse.dict" ;;
  esac
}

rm -rf "$scratch"
mkdir -p "$scratch"
summary=()
failed=0
for target in "${targets[@]}"; do
  bin="$build/$target"
  if [[ ! -x "$bin" ]]; then
    summary+=("$(printf '%-14s SKIPPED (not built: its src/ files are missing, see configure output)' "$target")")
    continue
  fi
  work="$scratch/$target"
  corpus="$work/corpus"
  artifacts="$work/artifacts"
  mkdir -p "$corpus" "$artifacts"
  if [[ -d "$fuzz_src/corpus/$target" ]]; then
    cp -R "$fuzz_src/corpus/$target/." "$corpus/"
  fi
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$artifacts/")
  dict="$(dict_for "$target")"
  [[ -n "$dict" && -f "$dict" ]] && args+=(-dict="$dict")
  log="$work/fuzz.log"
  echo "== $target: ${seconds}s (log: $log)"
  set +e
  (cd "$work" && "$bin" "${args[@]}" "$corpus" >"$log" 2>&1)
  rc=$?
  set -e

  execs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n1)"
  status_line="$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n1 || true)"
  cov="$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$status_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")"
  corp="$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$status_line")"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -n1)"
  if [[ $rc -eq 0 ]]; then
    state="ok"
  else
    state="FAILED(rc=$rc)"
    failed=1
    mkdir -p "$findings/$target"
    shopt -s nullglob
    found=("$artifacts"/*)
    shopt -u nullglob
    if ((${#found[@]})); then
      cp "${found[@]}" "$findings/$target/"
    fi
    cp "$log" "$findings/$target/fuzz.log"
    echo "---- $target failed; last lines of $log:" >&2
    grep -E 'ERROR|check failed|runtime error|SUMMARY|Test unit written|Base64' "$log" | head -n 20 >&2 || true
    echo "---- inputs copied to $findings/$target/" >&2
  fi
  summary+=("$(printf '%-14s %-14s execs=%-10s exec/s=%-8s cov=%-6s ft=%-7s corpus=%s' \
    "$target" "$state" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
