/** Statistics and rendering of bench results: min/median/max, ratios to the floor and to stack, a Markdown table. */

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, min: s[0], median, max: s.at(-1) };
}

const fmt = (x, unit) => (x === undefined ? '–' : unit === 'ms' ? `${(x * 1000).toFixed(1)} ms` : unit === 'MB' ? `${x.toFixed(0)} MB` : `${x.toFixed(2)} s`);
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

/**
 * rows: { workload, peer, samples, unit?, note?, goal? }. Ratios compare medians within one workload.
 * @returns {string} a Markdown table
 */
export function markdownTable(rows) {
  const out = ['| workload | peer | min | median | max | × floor | × stack | notes |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const r of rows) {
    const st = stats(r.samples);
    const same = rows.filter((x) => x.workload === r.workload && (x.unit ?? 's') === (r.unit ?? 's'));
    const floor = same.find((x) => x.peer === 'floor');
    const stack = same.find((x) => x.peer === 'stack');
    const med = (x) => (x ? stats(x.samples).median : undefined);
    out.push(
      `| ${r.workload} | ${r.peer} | ${fmt(st.min, r.unit)} | ${fmt(st.median, r.unit)} | ${fmt(st.max, r.unit)} | ${floor ? ratio(st.median, med(floor)) : '–'} | ${stack ? ratio(st.median, med(stack)) : '–'} | ${r.note ?? ''} |`,
    );
  }
  return out.join('\n');
}
