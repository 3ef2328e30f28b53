// Draws the polling-versus-push figures as a dependency-free SVG: one panel of bars per metric.

export interface ChartRow {
  label: string;
  values: number[];
}

export interface Panel {
  title: string;
  unit: string;
  /** One name per value in each row, e.g. ['p50', 'p99']; one entry for a single bar. */
  series: string[];
  rows: ChartRow[];
  log?: boolean;
}

const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function label(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)} k`;
  if (v >= 100) return v.toFixed(0);
  return v.toFixed(v >= 10 ? 1 : 2);
}

export function renderChart(title: string, subtitle: string, panels: Panel[]): string {
  const width = 960;
  const labelW = 210;
  const barArea = width - labelW - 90;
  const barH = 14;
  let y = 84;
  const out: string[] = [];
  for (const p of panels) {
    out.push(
      `<text x="20" y="${y}" font-size="15" font-weight="600">${esc(p.title)} (${esc(p.unit)}${p.log ? ', log scale' : ''})</text>`,
    );
    p.series.forEach((s, i) => {
      if (p.series.length > 1)
        out.push(
          `<rect x="${width - 200 + i * 90}" y="${y - 11}" width="12" height="12" fill="${COLORS[i]}"/>` +
            `<text x="${width - 184 + i * 90}" y="${y}" font-size="12">${esc(s)}</text>`,
        );
    });
    y += 14;
    const all = p.rows.flatMap((r) => r.values).filter((v) => Number.isFinite(v) && v > 0);
    const max = Math.max(...all, 1e-9);
    const min = Math.min(...all, max);
    const scale = (v: number): number => {
      if (!Number.isFinite(v) || v <= 0) return 0;
      if (!p.log) return (v / max) * barArea;
      const lo = Math.log10(min) - 0.5;
      return ((Math.log10(v) - lo) / (Math.log10(max) - lo)) * barArea;
    };
    for (const r of p.rows) {
      const rowH = p.series.length * (barH + 2) + 8;
      out.push(
        `<text x="${labelW - 10}" y="${y + rowH / 2}" font-size="13" text-anchor="end">${esc(r.label)}</text>`,
      );
      r.values.forEach((v, i) => {
        const w = Math.max(1, scale(v));
        const by = y + i * (barH + 2);
        out.push(
          `<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[i]}"/>` +
            `<text x="${(labelW + w + 6).toFixed(1)}" y="${by + barH - 3}" font-size="12">${label(v)}</text>`,
        );
      });
      y += rowH;
    }
    y += 26;
  }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="30" font-size="18" font-weight="700">${esc(title)}</text>`,
    `<text x="20" y="50" font-size="12" fill="#555">${esc(subtitle)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
