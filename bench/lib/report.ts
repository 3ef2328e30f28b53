// Formatting and the RESULTS.md sections each harness owns.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './server';

export const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
export const OUT_DIR = join(ROOT, 'bench', 'out');

export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Replaces the section that starts with `heading` (up to the next `## ` heading) or appends it.
 * Sections owned by other harnesses are left byte for byte as they were.
 */
export function writeSection(heading: string, body: string, file = RESULTS): void {
  body = formatMarkdown(body, file);
  const text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmark results\n\nFigures from the harnesses in bench/; each section says how and when it was measured.\n';
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) {
    next = `${text.trimEnd()}\n\n${section}`;
  } else {
    const after = text.indexOf('\n## ', start + heading.length);
    next =
      text.slice(0, start) + section + (after < 0 ? '' : `\n${text.slice(after + 1).trimStart()}`);
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}

/** Formats one section as `npm run lint` expects, without touching the rest of the file. */
function formatMarkdown(body: string, file: string): string {
  const bin = join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const out = spawnSync(process.execPath, [bin, '--stdin-filepath', file], {
    input: body,
    encoding: 'utf8',
  });
  return out.status === 0 ? out.stdout : body;
}

export function saveJson(name: string, data: unknown): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
