// Bytes per component of the WebAssembly module (docs/size.md). Needs a build with function
// names: emcmake cmake -S . -B build/wasm-prof -DRT_BUILD_TESTS=OFF -DRT_WASM_PROFILING=ON &&
// cmake --build build/wasm-prof; then: node scripts/wasm-size.mjs build/wasm-prof/realtime_wasm.wasm
// [--top=N] [--group=NAME] (the N largest functions, of one group or of all).
// Each function's body is counted once, under the first rule its (demangled) name matches;
// "gzip alone" compresses each group's code by itself, so the column does not add up to the
// module's gzip size (gzip shares strings across groups).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const RULES = [
  [/nlohmann/, 'nlohmann/json'],
  [/^(printf_core|fmt_fp|fmt_u|pop_arg|vfprintf|vsnprintf|snprintf|sprintf|siprintf|vsiprintf|__towrite|sn_write|out|pad|getint|fmodl|frexp|__fwritex|wctomb|wcrtomb|__signbitl|__fpclassifyl)$/, 'libc printf'],
  [/^(strtod|strtof|strtold|__floatscan|decfloat|hexfloat|scanexp|__shgetc|__shlim|__intscan|copysignl|scalbnl?|__uflow|__toread|frexpl|strtox)/, 'libc strtod'],
  [/tf3|tf2|^__(ashl|lshr|ashr|mul|div|udiv|umod|clz|fe_)/, 'compiler-rt (long double, 64-bit helpers)'],
  [/^(emmalloc|malloc|free|realloc|calloc|sbrk|emscripten_builtin|posix_memalign|aligned_alloc|memalign|claim_more|attempt_allocate|validate|compute_free|link_to_free|unlink_from|create_memory_region|prepend_to|extend_|emscripten_resize_heap)/, 'emmalloc'],
  [/^(memcpy|memset|memmove|memcmp|strlen|strcmp|strncmp|strchr|__memcpy|emscripten_memcpy|strdup|memchr|strnlen)$/, 'libc mem/str'],
  [/^emscripten::|_embind_|__getTypeName|emscripten::internal|EmscriptenBindingInitializer|__cxxabiv1/, 'embind (templates, invokers)'],
  [/__wasm_call_ctors|_GLOBAL__/, 'static constructors (embind registration calls)'],
  [/^std::__2::(basic_string|__basic_string|char_traits|to_string|__itoa|basic_string_view|__to_chars|to_chars)/, 'libc++ string, to_chars'],
  [/^std::__2::|^operator (new|delete)|^__cxa|^abort$|^std::terminate/, 'libc++ containers, runtime'],
  [/ConnectionPool|PoolBinding|pool/, 'connection pool'],
  [/SseClient|rt_sse|SseParser|SseSession|sse/, 'SSE (sse_client.cpp, src/sse_*)'],
  [/WsClient|rt_ws|WsSession|Heartbeat|Backoff|OutboundQueue|AuthRetry|TypeRegistry/, 'WebSocket (ws_client.cpp, src/ws_session, backoff, queue, heartbeat)'],
  [/envelope|Scanner|unescape_json|encode_|json_|uuid|decimal|Decimal|parse_number/, 'envelope codec (src/envelope*, src/decimal)'],
  [/^realtime::|^rt_/, 'other src/ and emscripten/'],
];

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node scripts/wasm-size.mjs FILE.wasm [--top=N] [--group=NAME]');
  process.exit(2);
}
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 0);
const only = args.find((a) => a.startsWith('--group='))?.slice(8);
const buf = readFileSync(file);
let p = 8;
const leb = () => {
  let r = 0;
  let s = 0;
  let b;
  do {
    b = buf[p++];
    r += (b & 0x7f) * 2 ** s;
    s += 7;
  } while (b & 0x80);
  return r;
};
const names = new Map();
const bodies = [];
const sections = [];
let imported = 0;
while (p < buf.length) {
  const id = buf[p++];
  const size = leb();
  const end = p + size;
  let custom = '';
  if (id === 0) {
    const n = leb();
    custom = buf.subarray(p, p + n).toString();
    p += n;
    if (custom === 'name') {
      while (p < end) {
        const sub = buf[p++];
        const subEnd = leb() + p;
        if (sub === 1) {
          for (let c = leb(); c > 0; c--) {
            const idx = leb();
            const len = leb();
            names.set(idx, buf.subarray(p, p + len).toString());
            p += len;
          }
        }
        p = subEnd;
      }
    }
  } else if (id === 2) {  // imports: functions come first in the index space
    for (let c = leb(); c > 0; c--) {
      for (let k = 0; k < 2; k++) {  // module and field names
        const len = leb();
        p += len;
      }
      const kind = buf[p++];
      if (kind === 0) {
        leb();
        imported++;
      } else if (kind === 1) {
        p++;
        if (buf[p++] & 1) leb();
        leb();
      } else if (kind === 2) {
        if (buf[p++] & 1) leb();
        leb();
      } else {
        p += 2;
      }
    }
  } else if (id === 10) {
    for (let c = leb(), i = 0; i < c; i++) {
      const len = leb();
      bodies.push([imported + i, buf.subarray(p, p + len)]);
      p += len;
    }
  }
  sections.push([id === 0 ? `custom:${custom}` : ['', 'type', 'import', 'function', 'table', 'memory',
    'global', 'export', 'start', 'element', 'code', 'data'][id] ?? `id ${id}`, size]);
  p = end;
}
const groups = new Map();
const rows = [];
for (const [idx, body] of bodies) {
  const name = names.get(idx) ?? `function ${idx}`;
  const plain = name.replace(/^(void|bool|int|unsigned (int|long)|char\*|long) /, '');
  const group = RULES.find(([re]) => re.test(plain))?.[1] ?? 'other';
  const g = groups.get(group) ?? { bytes: 0, count: 0, parts: [] };
  g.bytes += body.length;
  g.count++;
  g.parts.push(body);
  groups.set(group, g);
  rows.push([body.length, group, name]);
}
const whole = gzipSync(buf, { level: 9 }).length;
console.log(`${file}: ${buf.length} bytes, gzip -9 ${whole}; sections: ` +
  sections.map(([n, s]) => `${n} ${s}`).join(', '));
console.log('| component | code bytes | gzip alone | functions |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
  console.log(`| ${name} | ${g.bytes} | ${gzipSync(Buffer.concat(g.parts), { level: 9 }).length} | ${g.count} |`);
}
if (top) {
  rows.sort((a, b) => b[0] - a[0]);
  for (const [bytes, group, name] of rows.filter((r) => !only || r[1] === only).slice(0, top)) {
    console.log(`${String(bytes).padStart(6)}  ${group}  ${name.slice(0, 150)}`);
  }
}
