// The ratios of a benchmark run as an SVG bar chart: tvisor's time over
// native's and over runsc's, per workload, on a log scale with 1× marked.

interface Row { tvisorToNative: number; tvisorToRunsc: number | null }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function ratioPlot(summary: Record<string, Row>, date: string): string {
  const rows = Object.entries(summary);
  const label = 300, width = 900, barH = 9, rowH = 26, top = 40;
  const plotW = width - label - 60;
  const all = rows.flatMap(([, r]) => [r.tvisorToNative, r.tvisorToRunsc ?? 1]).filter((x) => x > 0 && Number.isFinite(x));
  const lo = Math.min(0.01, ...all), hi = Math.max(100, ...all);
  const x = (v: number) => label + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const height = top + rows.length * rowH + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14">tvisor time ÷ native (blue) and ÷ runsc (orange), log scale — ${esc(date)}</text>`,
  ];
  for (let d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
    const v = 10 ** d;
    out.push(`<line x1="${x(v)}" y1="${top - 5}" x2="${x(v)}" y2="${height - 30}" stroke="${v === 1 ? '#000' : '#ddd'}"/>`,
      `<text x="${x(v)}" y="${height - 15}" text-anchor="middle">${v}×</text>`);
  }
  rows.forEach(([name, r], i) => {
    const y = top + i * rowH;
    out.push(`<text x="${label - 8}" y="${y + 12}" text-anchor="end">${esc(name)}</text>`);
    const bar = (v: number | null, dy: number, color: string) => {
      if (v === null || !(v > 0) || !Number.isFinite(v)) return;
      const a = x(1), b = x(v);
      out.push(`<rect x="${Math.min(a, b)}" y="${y + dy}" width="${Math.max(1, Math.abs(b - a))}" height="${barH}" fill="${color}"/>`,
        `<text x="${Math.max(a, b) + 4}" y="${y + dy + 8}" font-size="9">${v.toFixed(2)}</text>`);
    };
    bar(r.tvisorToNative, 0, '#3b73c4');
    bar(r.tvisorToRunsc, barH + 1, '#e07b29');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
