// Summarizes a .cpuprofile (node --cpu-prof): self time per function, and total (inclusive)
// time of the functions whose names match --focus (a regex).
//   node bench/lib/profile-summary.mjs FILE.cpuprofile [--top=30] [--focus=regex]
import { readFileSync } from 'node:fs';
import { parseFlags } from './common.mjs';

const [file] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = parseFlags(process.argv.slice(2));
const top = Number(flags.top ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node, from the sample deltas.
const selfUs = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};

const self = new Map();
for (const [id, us] of selfUs) {
  const k = label(byId.get(id));
  self.set(k, (self.get(k) ?? 0) + us);
}
console.log(`total sampled ${(total / 1000).toFixed(1)} ms`);
console.log('self time:');
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`);
}

if (flags.focus) {
  const re = new RegExp(flags.focus);
  // Inclusive time: a sample counts once for each distinct matching label on its stack.
  const incl = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur));
      if (re.test(k) && !seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + us);
      }
    }
  }
  console.log(`inclusive time of /${flags.focus}/:`);
  for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`);
  }
}
