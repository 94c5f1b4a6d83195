// Turns the raw per-repetition values into latest.json and the markdown table.
import { summarize, round } from './util.mjs';
import { METRICS } from './figures.mjs';

function fillTitle(title, p) {
  return title
    .replace('{N1}', String(p.listN?.[0] ?? ''))
    .replace('{N2}', String(p.listN?.[1] ?? ''))
    .replace('{IMG}', String(p.images))
    .replace('{RUNS}', String(p.runs))
    .replace('{LOGMB}', String(p.logMB))
    .replace('{LOADMB}', String(p.loadMB))
    .replace('{PULLMB}', String(p.pullMB))
    .replace('{BUILDMB}', String(p.buildMB))
    .replace('{RUNNING}', String(p.running));
}

export function buildResults(b, meta) {
  const names = b.engines.map((e) => e.name);
  const metrics = {};
  for (const [id, m] of Object.entries(METRICS)) {
    const results = {};
    let any = false;
    for (const n of names) {
      const s = summarize(b.values[id]?.[n] ?? []);
      if (s) {
        results[n] = { median: round(s.median), min: round(s.min), max: round(s.max), n: s.n, values: s.values };
        any = true;
      } else if (b.na[id]?.[n]) results[n] = { na: b.na[id][n] };
      else results[n] = { na: meta.skipped?.[n] ?? 'not measured in this mode' };
      if (b.notes[id]?.[n]) results[n].note = b.notes[id][n];
    }
    if (!any && !Object.values(results).some((r) => r.na && r.na !== 'not measured in this mode')) continue;
    const entry = { title: fillTitle(m.title, b.p), unit: m.unit, better: m.better, results };
    const fl = summarize(b.floor[id] ?? []);
    if (fl) entry.floor = { engine: 'runc run (no engine)', median: round(fl.median), min: round(fl.min), max: round(fl.max), n: fl.n, values: fl.values };
    else if (b.floorError && (id === 'run.seq' || id === 'run.conc')) entry.floor = { engine: 'runc run (no engine)', na: b.floorError };
    const ratios = {};
    const me = results.berth?.median;
    for (const other of ['podman', 'dockerd']) {
      const o = results[other]?.median;
      if (Number.isFinite(me) && Number.isFinite(o) && o !== 0) ratios[`berth/${other}`] = round(me / o, 3);
    }
    entry.ratios = ratios;
    metrics[id] = entry;
  }
  return { schema: 1, ...meta, metrics, rssTrail: b.rssTrail };
}

function fmt(x) {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function cell(r, footnotes) {
  if (!r) return '';
  if (r.na !== undefined) {
    let k = footnotes.indexOf(r.na);
    if (k < 0) k = footnotes.push(r.na) - 1;
    return `n/a [${k + 1}]`;
  }
  const spread = r.n > 1 ? ` (${fmt(r.min)}–${fmt(r.max)})` : '';
  return `${fmt(r.median)}${spread}`;
}

function ratio(x, better) {
  if (!Number.isFinite(x)) return '–';
  const good = better === 'lower' ? x < 1 : x > 1;
  const shown = x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
  return `${shown}×${good ? ' ✓' : ''}`;
}

export function markdown(res) {
  const names = res.engineNames;
  const footnotes = [];
  const lines = [];
  lines.push(`# berth benchmarks (${res.mode})`, '');
  lines.push(`${res.date} · ${res.machine.summary} · ${res.durationS} s`, '');
  lines.push(
    'Engines: ' +
      names.map((n) => `${n} ${res.engines[n]?.version ?? '?'}`).join(', ') +
      ` · client: docker CLI ${res.client ?? '?'} · runtime: ${res.runtime ?? 'runc'} · network: none (all engines)`,
    '',
  );
  lines.push('Cells: median over repetitions (min–max). Ratios: berth ÷ other; ✓ = berth better (lower time / higher throughput).', '');
  const hasFloor = Object.values(res.metrics).some((m) => m.floor);
  const head = ['figure', 'unit', ...names, ...(hasFloor ? ['runc floor'] : []), ...names.filter((n) => n !== 'berth').map((n) => `berth/${n}`)];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '--:')).join('|')}|`);
  for (const m of Object.values(res.metrics)) {
    const row = [m.title, m.unit, ...names.map((n) => cell(m.results[n], footnotes))];
    if (hasFloor) row.push(m.floor ? cell(m.floor, footnotes) : '');
    for (const n of names.filter((x) => x !== 'berth')) row.push(ratio(m.ratios[`berth/${n}`], m.better));
    lines.push(`| ${row.join(' | ')} |`);
  }
  if (footnotes.length) {
    lines.push('', 'n/a:');
    footnotes.forEach((f, i) => lines.push(`${i + 1}. ${f.replace(/\|/g, '\\|')}`));
  }
  const trail = res.rssTrail ?? {};
  const groups = [...new Set(Object.values(trail).flatMap((t) => t.map((x) => x.after)))];
  if (groups.length) {
    lines.push('', 'Service RSS (MiB) after each group of figures, in run order (peak while measuring in brackets; dockerd includes its containerd):', '');
    lines.push(`| after | ${names.join(' | ')} |`, `|---|${names.map(() => '--:').join('|')}|`);
    groups.forEach((g, i) => {
      const cells = names.map((n) => {
        const hit = (trail[n] ?? []).filter((x) => x.after === g);
        const h = hit[hit.length - 1];
        return h ? `${fmt(h.rssMiB)}${Number.isFinite(h.peakMiB) ? ` (${fmt(h.peakMiB)})` : ''}` : '';
      });
      lines.push(`| ${g} | ${cells.join(' | ')} |`);
    });
  }
  const notes = [];
  for (const m of Object.values(res.metrics)) for (const n of names) if (m.results[n]?.note) notes.push(`- ${m.title}, ${n}: ${m.results[n].note}`);
  if (notes.length) lines.push('', 'Notes:', ...notes);
  lines.push('');
  return lines.join('\n');
}
