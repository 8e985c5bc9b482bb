// Prints the benchmark table and checks the tools' totals against the corpus's expected.json.
// Called by bench/run.sh; plain node, no dependencies.
import { readFileSync } from 'node:fs';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

const MiB = 1024 * 1024;
const expected = JSON.parse(readFileSync(args.expected, 'utf8'));
const corpusBytes = Number(args['corpus-bytes']);
const corpusMiB = corpusBytes / MiB;

const results = new Map();
for (const line of readFileSync(args.results, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const [name, seconds, rssKb, runs, status, minSeconds] = line.split('\t');
  results.set(name, {
    seconds: seconds === 'nan' ? NaN : Number(seconds),
    minSeconds: !minSeconds || minSeconds === 'nan' ? NaN : Number(minSeconds),
    rssMiB: rssKb ? Number(rssKb) / 1024 : NaN,
    runs: Number(runs),
    status,
  });
}

const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);

const out = [];
const print = (s = '') => out.push(s);

// With a mixed corpus the summary covers every source: compare with the sum of bySource.
const mixed = expected.sources === 'mixed' && expected.bySource;
const allModels = {};
const allTotals = { calls: 0, input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 };
for (const src of Object.values(mixed ? expected.bySource : { 'claude-code': { models: expected.models } })) {
  for (const [model, e] of Object.entries(src.models)) {
    const m = (allModels[model] ??= { calls: 0, input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 });
    for (const k of Object.keys(m)) { m[k] += e[k] ?? 0; allTotals[k] += e[k] ?? 0; }
  }
}
const t = mixed ? allTotals : expected.totals;
const expectedCalls = mixed ? allTotals.calls : expected.calls;
const c = expected.corpus;
print(`Corpus   ${fmt(corpusMiB, 1)} MiB in ${int(c.files)} files (${int(c.subagentFiles)} subagent), ${int(c.lines)} lines, ` +
  `${int(mixed ? allTotals.calls : expected.calls)} billed calls${mixed ? ' (Claude Code + Codex + OpenCode)' : ''}, ${plural(expected.rows.broken, 'broken line')} — ${args.corpus}`);
print(`         file sizes: median ${fmt(c.medianFileBytes / 1024, 0)} KiB, p90 ${fmt(c.p90FileBytes / 1024, 0)} KiB, ` +
  `p99 ${fmt(c.p99FileBytes / MiB, 1)} MiB, max ${fmt(c.maxFileBytes / MiB, 1)} MiB`);
if (args['generator-log']) {
  print(`Generator ${readFileSync(args['generator-log'], 'utf8').trim()}`);
}
print(`Method   page cache warmed by one cat pass, so every run reads from memory (no root to drop caches);`);
print(`         seconds = median of ${args.runs} runs (Tally cold: of its cold runs), MiB/s and ratios from the median;`);
print(`         peak RSS = max over runs, via ${args['rss-source']}.`);
print();

const cc = results.get('ccusage');
const ccOk = cc && cc.status === 'ok';
const rows = [
  ['cat', 'read floor: cat all files > /dev/null'],
  ['ccusage', 'ccusage daily --json --offline'],
  ['tally-cold', 'tally cold: ingest + summary --json'],
  ['tally-cold-ingest', '  of which ingest'],
  ['tally-cold-summary', '  of which summary --json'],
  ['tally-warm-summary', 'tally warm: summary --json'],
  ['tally-warm-one', 'tally warm: tally --json (ingest + summary)'],
  ['tally-warm-pair', 'tally warm: ingest + summary --json'],
  ['tally-warm-hotspots', 'tally warm: hotspots --json'],
  ['tally-warm-blocks', 'tally warm: blocks --json'],
];
const head = `${padEnd('what', 44)}${pad('runs', 5)}${pad('median s', 10)}${pad('min s', 8)}${pad('MiB/s', 9)}${pad('peak RSS MiB', 14)}${pad('÷ ccusage', 11)}`;
print(head);
print('-'.repeat(head.length));
for (const [key, label] of rows) {
  const r = results.get(key);
  if (!r) {
    if (key.startsWith('tally') && (key === 'tally-cold' || key === 'tally-warm-summary')) {
      print(`${padEnd(label, 44)}${pad('', 5)}  not measured`);
    }
    continue;
  }
  if (r.status !== 'ok') {
    print(`${padEnd(label, 44)}${pad('', 5)}  ${r.status.startsWith('skipped') ? r.status : 'FAILED: ' + r.status}`);
    continue;
  }
  const ratio = ccOk && key !== 'ccusage' ? r.seconds / cc.seconds : key === 'ccusage' ? 1 : NaN;
  print(`${padEnd(label, 44)}${pad(r.runs, 5)}${pad(fmt(r.seconds, 3), 10)}${pad(fmt(r.minSeconds, 3), 8)}${pad(fmt(corpusMiB / r.seconds, 0), 9)}` +
    `${pad(fmt(r.rssMiB, 1), 14)}${pad(Number.isFinite(ratio) ? fmt(ratio, 2) + '×' : '—', 11)}`);
}
if (args['ledger-kb']) {
  print(`ledger after ingest: ${fmt(Number(args['ledger-kb']) / 1024, 1)} MiB on disk`);
}
print();

// ---- targets --------------------------------------------------------------------------------
const cold = results.get('tally-cold');
const warm = results.get('tally-warm-summary');
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
print('Targets');
if (cold?.status === 'ok' && ccOk) {
  const r = cold.seconds / cc.seconds;
  print(`  cold ingest+summary ÷ ccusage ≤ 1.0 : ${fmt(r, 2)}  ${verdict(r <= 1.0)}`);
} else {
  print('  cold ingest+summary ÷ ccusage ≤ 1.0 : — (not measured)');
}
if (warm?.status === 'ok' && ccOk) {
  const r = warm.seconds / cc.seconds;
  print(`  warm summary ÷ ccusage        < 0.2 : ${fmt(r, 3)}  ${verdict(r < 0.2)}`);
} else {
  print('  warm summary ÷ ccusage        < 0.2 : — (not measured)');
}
const hotspots = results.get('tally-warm-hotspots');
if (hotspots?.status === 'ok') {
  print(`  warm hotspots --json           < 1 s : ${fmt(hotspots.seconds, 3)}  ${verdict(hotspots.seconds < 1)}`);
} else {
  print('  warm hotspots --json           < 1 s : — (not measured)');
}
if (cold?.status === 'ok' && Number.isFinite(cold.rssMiB)) {
  const note = Math.abs(corpusMiB - 1024) / 1024 > 0.1 ? ` (the target is set for a 1 GiB corpus; this one is ${fmt(corpusMiB, 0)} MiB)` : '';
  print(`  peak RSS (cold)          < 400 MiB : ${fmt(cold.rssMiB, 1)}  ${verdict(cold.rssMiB < 400)}${note}`);
} else {
  print('  peak RSS (cold)          < 400 MiB : — (not measured)');
}
print();

// ---- correctness ----------------------------------------------------------------------------
const stripDate = (m) => m.replace(/-\d{8}$/, '');

print('Totals against expected.json');
if (args.ccusage) {
  const j = JSON.parse(readFileSync(args.ccusage, 'utf8'));
  const diffs = [];
  const want = {
    inputTokens: t.input, outputTokens: t.output,
    cacheCreationTokens: t.cacheWrite5m + t.cacheWrite1h, cacheReadTokens: t.cacheRead,
  };
  for (const [k, v] of Object.entries(want)) {
    if (j.totals?.[k] !== v) diffs.push(`totals.${k}: ccusage ${int(j.totals?.[k])}, expected ${int(v)} (${signed(j.totals?.[k] - v)})`);
  }
  // Per model: sum the breakdowns of the "all" rows (ccusage's unified daily JSON).
  const per = {};
  for (const d of j.daily ?? []) {
    if (d.agent && d.agent !== 'all') continue;
    for (const m of d.modelBreakdowns ?? []) {
      const p = (per[m.modelName] ??= { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 });
      p.input += m.inputTokens; p.output += m.outputTokens; p.cacheWrite += m.cacheCreationTokens; p.cacheRead += m.cacheReadTokens;
    }
  }
  for (const [model, e] of Object.entries(allModels)) {
    const p = per[model];
    if (!p) { diffs.push(`model ${model}: missing in ccusage`); continue; }
    const pairs = [['input', p.input, e.input], ['output', p.output, e.output],
      ['cacheCreation', p.cacheWrite, e.cacheWrite5m + e.cacheWrite1h], ['cacheRead', p.cacheRead, e.cacheRead]];
    for (const [k, got, exp] of pairs) if (got !== exp) diffs.push(`model ${model} ${k}: ccusage ${int(got)}, expected ${int(exp)}`);
  }
  print(`  ccusage: ${diffs.length ? 'DIFFERENCES' : 'MATCH'} (input, output, cache creation = 5m + 1h, cache read; totals and per model)` +
    (mixed ? ' — mixed corpus: informational only, ccusage may count Codex/OpenCode differently' : ''));
  for (const d of diffs) print(`    ${d}`);
} else {
  print('  ccusage: — (not run)');
}

if (args.tally) {
  let j;
  try {
    j = JSON.parse(readFileSync(args.tally, 'utf8'));
  } catch (e) {
    print(`  tally: FAILED — summary --json output is not JSON (${e.message})`);
  }
  if (j) {
    const diffs = [];
    const buckets = ['input', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'output'];
    if (j.totals?.calls !== expectedCalls) diffs.push(`totals.calls: tally ${int(j.totals?.calls)}, expected ${int(expectedCalls)} (${signed(j.totals?.calls - expectedCalls)})`);
    for (const b of buckets) {
      const got = j.totals?.tokens?.[b];
      if ((got ?? 0) !== t[b] || (got === null && t[b] !== 0)) diffs.push(`totals.tokens.${b}: tally ${got === null ? 'null' : int(got)}, expected ${int(t[b])} (${signed(got - t[b])})`);
    }
    const rowsByKey = new Map();
    for (const r of j.rows ?? []) rowsByKey.set(r.key, r);
    for (const [model, e] of Object.entries(allModels)) {
      const r = rowsByKey.get(model) ?? [...rowsByKey.values()].find((x) => stripDate(String(x.key)) === stripDate(model));
      if (!r) { diffs.push(`model ${model}: no row in tally summary`); continue; }
      if (r.calls !== e.calls) diffs.push(`model ${model} calls: tally ${int(r.calls)}, expected ${int(e.calls)}`);
      for (const b of buckets) {
        if ((r.tokens?.[b] ?? 0) !== e[b] || (r.tokens?.[b] == null && e[b] !== 0)) diffs.push(`model ${model} ${b}: tally ${r.tokens?.[b] === null ? 'null' : int(r.tokens?.[b])}, expected ${int(e[b])}`);
      }
    }
    print(`  tally:   ${diffs.length ? 'DIFFERENCES' : 'MATCH'} (calls, input, cacheRead, cacheWrite5m, cacheWrite1h, output; totals and per model)`);
    for (const d of diffs) print(`    ${d}`);

    // The generator's unpriced model must come out with an unknown cost, never $0.
    const unpriced = 'claude-experimental-x';
    const row = rowsByKey.get(unpriced);
    if (row) {
      const listed = (j.unpricedModels ?? []).includes(unpriced);
      const ok = row.cost === null && listed;
      print(`  tally:   unpriced model ${unpriced}: cost ${JSON.stringify(row.cost)}, in unpricedModels: ${listed} — ${ok ? 'OK' : 'WRONG (expected cost null and listed)'}`);
    }
  }
} else {
  print('  tally:   — (not run)');
}
// Per source: the rows of `tally summary --by source --json` against expected.bySource.
if (args['tally-by-source'] && expected.bySource) {
  const j = JSON.parse(readFileSync(args['tally-by-source'], 'utf8'));
  const rows = new Map((j.rows ?? []).map((r) => [r.key, r]));
  const buckets = ['input', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'output', 'reasoning'];
  for (const [source, e] of Object.entries(expected.bySource)) {
    const r = rows.get(source);
    const diffs = [];
    if (!r) diffs.push('no row');
    else {
      if (r.calls !== e.calls) diffs.push(`calls: tally ${int(r.calls)}, expected ${int(e.calls)} (${signed(r.calls - e.calls)})`);
      // A bucket the source never reports is null in Tally; expected writes 0.
      for (const b of buckets) if ((r.tokens?.[b] ?? 0) !== e.tokens[b]) diffs.push(`${b}: tally ${int(r.tokens?.[b])}, expected ${int(e.tokens[b])} (${signed((r.tokens?.[b] ?? 0) - e.tokens[b])})`);
    }
    print(`  tally ${padEnd(source, 12)} ${diffs.length ? 'DIFFERENCES' : 'MATCH'} (${int(e.calls)} calls, ${fmt(e.corpus.bytes / MiB, 1)} MiB in ${int(e.corpus.files)} files)`);
    for (const d of diffs) print(`    ${d}`);
  }
}
if (args['ingest-warnings']) {
  print();
  print(`Tally ingest reported (the corpus has ${plural(expected.rows.broken, 'deliberately broken line')}):`);
  for (const l of readFileSync(args['ingest-warnings'], 'utf8').trim().split('\n')) print(`  ${l}`);
}

console.log(out.join('\n'));

function signed(v) {
  if (!Number.isFinite(v)) return 'n/a';
  return (v > 0 ? '+' : '') + Math.round(v).toLocaleString('en-US');
}

function plural(n, noun) {
  return `${int(n)} ${noun}${n === 1 ? '' : 's'}`;
}
