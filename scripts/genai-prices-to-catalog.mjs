// Turns the price data bundled in an unpacked @pydantic/genai-prices npm package into Tally's
// embedded catalog (src/Tally.Core/Pricing/catalog.json). Called by update-prices.sh; see
// src/Tally.Core/Pricing/README.md for what is kept and why.
//
// usage: node genai-prices-to-catalog.mjs <unpacked-package-dir> <out.json> [YYYY-MM-DD]
//
// No arithmetic happens here: every rate is copied as upstream wrote it, so the C# side can parse
// the JSON numbers as exact decimals. Derived rates (Anthropic's cache-write rule, cache reads
// billed as input) are applied in C#, in decimal, where the README says they are.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [packageDir, outPath, dateArg] = process.argv.slice(2);
if (!packageDir || !outPath) {
  console.error('usage: node genai-prices-to-catalog.mjs <unpacked-package-dir> <out.json> [YYYY-MM-DD]');
  process.exit(2);
}
const generated = dateArg ?? new Date().toISOString().slice(0, 10);
if (!/^\d{4}-\d{2}-\d{2}$/.test(generated)) {
  console.error(`generation date must be YYYY-MM-DD, got ${generated}`);
  process.exit(2);
}

const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
const lib = await import(pathToFileURL(path.join(packageDir, pkg.module ?? 'dist/index.js')).href);
// waitForUpdate() resolves to the provider list bundled in the package (no network: nothing
// asked it to fetch newer data).
const providers = await lib.waitForUpdate();
if (!Array.isArray(providers) || providers.length === 0) {
  console.error('the package exposed no provider data');
  process.exit(1);
}

// Hugging Face's router lists other hosts' models again under names that collide with those
// hosts' own lists; calls routed through it are rare in agent logs, so they are left out.
const skipProvider = (id) => id.startsWith('huggingface_');

// Upstream price keys → Tally's buckets. Everything else (audio, images, searches, requests) has
// no bucket in Tally and is dropped.
const bucketKeys = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cacheRead',
  cache_write_mtok: 'cacheWrite5m',
  cache_write_1h_mtok: 'cacheWrite1h',
};
const buckets = Object.values(bucketKeys);

const stats = { providers: 0, models: 0, dropped: [], skippedRules: [] };

// Upstream match rules → name patterns. "x" is an exact name, "x*" a declared prefix; Tally
// normalises both sides the same way at load time (see ModelName.cs).
function names(match, model, out) {
  if ('or' in match) {
    for (const m of match.or) names(m, model, out);
  } else if ('and' in match) {
    // The only shape upstream uses: a positive rule narrowed by negative-lookahead exclusions.
    // The exclusions are always listed as their own exact names, which win over a prefix.
    for (const m of match.and) if (!('regex' in m)) names(m, model, out);
  } else if ('equals' in match || 'ends_with' in match) {
    out.add((match.equals ?? match.ends_with).toLowerCase());
  } else if ('starts_with' in match || 'contains' in match) {
    // contains rules exist to skip leading provider/region parts, which the normaliser strips.
    out.add((match.starts_with ?? match.contains).toLowerCase().replace(/[-@]+$/, '') + '*');
  } else if ('regex' in match) {
    const literal = regexLiteral(match.regex);
    if (literal) out.add(literal.toLowerCase());
    else stats.skippedRules.push(`${model}: regex ${match.regex}`);
  } else {
    stats.skippedRules.push(`${model}: ${JSON.stringify(match)}`);
  }
}

// "^name$" or "^name-\d{8}$" / "^name-\d{4}-\d{2}-\d{2}$" (date tails are normalised away) →
// name; anything else is not a single name.
function regexLiteral(regex) {
  const m = /^\^((?:\\.|[^\\^$()|?*+{}[\]])+)(?:-\\d\{8\}|-\\d\{4\}-\\d\{2\}-\\d\{2\})?\$$/.exec(regex);
  return m ? m[1].replace(/\\(.)/g, '$1') : null;
}

// One price set per model: the one in force on the generation date (start-date constraints),
// and for time-of-day pricing the highest input rate among the variants, because Cost has no
// clock time and must not understate.
function choosePrices(prices) {
  if (!Array.isArray(prices)) return prices;
  let dated = prices[0].prices;
  const timed = [];
  for (const p of prices) {
    const c = p.constraint;
    if (!c) continue;
    if (c.type === 'start_date' || ('start_date' in c && !('start_time' in c))) {
      if (c.start_date <= generated) dated = p.prices;
    } else {
      timed.push(p.prices);
    }
  }
  let best = dated;
  for (const t of timed) if (baseOf(t.input_mtok) > baseOf(best.input_mtok)) best = t;
  return best;
}

const baseOf = (v) => (typeof v === 'object' && v !== null ? v.base : v ?? -1);

function rates(prices) {
  const base = {};
  const starts = new Set();
  for (const [key, bucket] of Object.entries(bucketKeys)) {
    const v = prices[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'number') base[bucket] = v;
    else {
      base[bucket] = v.base;
      for (const t of v.tiers) starts.add(t.start);
    }
  }
  // Each tier carries every bucket's rate at that context size, so a tier is a full price set
  // (a bucket without a tier of its own keeps its lower rate).
  const tiers = [...starts].sort((a, b) => a - b).map((start) => {
    const tier = { above: start };
    for (const [key, bucket] of Object.entries(bucketKeys)) {
      const v = prices[key];
      if (v === undefined || v === null) continue;
      if (typeof v === 'number') tier[bucket] = v;
      else {
        let rate = v.base;
        for (const t of [...v.tiers].sort((a, b) => a.start - b.start)) if (t.start <= start) rate = t.price;
        tier[bucket] = rate;
      }
    }
    return tier;
  });
  return { base, tiers };
}

const providerLines = [];
const modelLines = [];
for (const provider of providers) {
  if (skipProvider(provider.id)) continue;
  let kept = 0;
  for (const model of provider.models) {
    const { base, tiers } = rates(choosePrices(model.prices));
    if (base.input === undefined && base.output === undefined) {
      stats.dropped.push(`${provider.id}/${model.id}`);
      continue;
    }
    const set = new Set();
    names(model.match, model.id, set);
    if (set.size === 0) {
      stats.dropped.push(`${provider.id}/${model.id} (no usable name)`);
      continue;
    }
    const line = { provider: provider.id, id: model.id, names: [...set] };
    for (const b of buckets) if (base[b] !== undefined) line[b] = base[b];
    if (tiers.length) line.tiers = tiers;
    modelLines.push(JSON.stringify(line));
    kept++;
  }
  if (kept === 0) continue;
  stats.providers++;
  stats.models += kept;
  const fallbacks = (provider.fallback_model_providers ?? []).filter((p) => !skipProvider(p));
  providerLines.push(JSON.stringify({ id: provider.id, name: provider.name, fallbacks }));
}

const header = {
  schema: 1,
  source: { package: pkg.name, version: pkg.version, generated },
  unit: 'USD per million tokens',
};
const text = [
  '{',
  `"schema": ${header.schema},`,
  `"source": ${JSON.stringify(header.source)},`,
  `"unit": ${JSON.stringify(header.unit)},`,
  '"providers": [',
  providerLines.join(',\n'),
  '],',
  '"models": [',
  modelLines.join(',\n'),
  ']',
  '}',
  '',
].join('\n');
fs.writeFileSync(outPath, text);

console.error(`${pkg.name}@${pkg.version}: ${stats.models} models from ${stats.providers} providers, generated ${generated}`);
console.error(`dropped ${stats.dropped.length} entries without a token price or a usable name`);
for (const r of stats.skippedRules) console.error(`skipped match rule (not a single name): ${r}`);
