// Command-line flags of the harnesses: `--name` switches and `--name=value` options, parsed by
// node:util parseArgs. An unknown or malformed flag stops the harness with its usage, before any
// server is built or started.
import { parseArgs } from 'node:util';

/** flag: a switch; string: one value; number: one finite number; list: comma-separated values. */
export type FlagKind = 'flag' | 'string' | 'number' | 'list';

type FlagValue<K extends FlagKind> = K extends 'flag'
  ? boolean
  : K extends 'number'
    ? number | undefined
    : K extends 'list'
      ? string[] | undefined
      : string | undefined;

export type Flags<S extends Record<string, FlagKind>> = { [N in keyof S]: FlagValue<S[N]> };

export class FlagError extends Error {}

/**
 * Parses `argv` against `spec` (flag names without the leading dashes). A flag that is not given
 * reads as false (switches) or undefined (the others), so each harness keeps its own defaults.
 */
export function parseFlags<S extends Record<string, FlagKind>>(
  spec: S,
  argv: readonly string[],
): Flags<S> {
  let parsed: ReturnType<typeof parseArgs>['values'];
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.entries(spec).map(([name, kind]) => [
          name,
          { type: kind === 'flag' ? ('boolean' as const) : ('string' as const) },
        ]),
      ),
    }).values;
  } catch (err) {
    throw new FlagError(err instanceof Error ? err.message : String(err));
  }
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(spec)) {
    const raw = parsed[name];
    if (kind === 'flag') {
      out[name] = raw === true;
    } else if (typeof raw !== 'string') {
      out[name] = undefined;
    } else if (kind === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new FlagError(`--${name} must be a number, got '${raw}'`);
      out[name] = n;
    } else {
      out[name] = kind === 'list' ? raw.split(',') : raw;
    }
  }
  return out as Flags<S>;
}

/** One line per flag, for the error message. */
export function usage(spec: Record<string, FlagKind>): string {
  const shape: Record<FlagKind, string> = {
    flag: '',
    string: '=<value>',
    number: '=<number>',
    list: '=<a,b,...>',
  };
  return Object.entries(spec)
    .map(([name, kind]) => `  --${name}${shape[kind]}`)
    .join('\n');
}

/**
 * The harness's flags from process.argv; on a bad flag, prints the error and the flags the harness
 * takes, and exits with status 2.
 */
export function harnessFlags<S extends Record<string, FlagKind>>(
  harness: string,
  spec: S,
): Flags<S> {
  try {
    return parseFlags(spec, process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${harness}: ${err.message}\nFlags:\n${usage(spec)}\n`);
    process.exit(2);
  }
}
