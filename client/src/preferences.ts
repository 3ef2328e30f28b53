// The trader's saved choices: watchlist, selection, chart interval and sort, and how they are stored.
import { DEFAULT_WATCHLIST, isInterval, type Interval } from '../../src/contracts';

/** The storage key the preferences live under. */
export const PREFS_KEY = 'tickerboard.prefs';
export const DEFAULT_INTERVAL: Interval = '1m';
const PREFS_VERSION = 1;

export const SORT_KEYS = [
  'symbol',
  'name',
  'last',
  'change',
  'changePct',
  'bid',
  'ask',
  'spread',
  'high',
  'low',
  'volume',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export interface Sort {
  key: SortKey | null;
  dir: 1 | -1;
}

export interface Prefs {
  watchlist: string[];
  selected: string | null;
  interval: Interval;
  sort: Sort;
}

/** Where preferences are kept: localStorage in the page, a Map in tests and benchmarks. */
export interface PrefsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function defaultPrefs(): Prefs {
  return {
    watchlist: [...DEFAULT_WATCHLIST],
    selected: DEFAULT_WATCHLIST[0],
    interval: DEFAULT_INTERVAL,
    sort: { key: null, dir: 1 },
  };
}

/** Reads stored preferences, falling back field by field to the defaults on anything odd. */
export function parsePrefs(raw: string | null | undefined): Prefs {
  const prefs = defaultPrefs();
  if (!raw) return prefs;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return prefs;
  }
  if (typeof data !== 'object' || data === null) return prefs;
  const d = data as Record<string, unknown>;
  if (Array.isArray(d.watchlist)) {
    const seen = new Set<string>();
    for (const s of d.watchlist) {
      if (typeof s === 'string' && s.length > 0 && s.length <= 32) seen.add(s.toUpperCase());
    }
    prefs.watchlist = [...seen];
  }
  if (typeof d.selected === 'string' && prefs.watchlist.includes(d.selected)) {
    prefs.selected = d.selected;
  } else {
    prefs.selected = prefs.watchlist[0] ?? null;
  }
  if (isInterval(d.interval)) prefs.interval = d.interval;
  if (typeof d.sort === 'object' && d.sort !== null) {
    const s = d.sort as Record<string, unknown>;
    const key = (SORT_KEYS as readonly unknown[]).includes(s.key) ? (s.key as SortKey) : null;
    prefs.sort = { key, dir: s.dir === -1 ? -1 : 1 };
  }
  return prefs;
}

export function serializePrefs(prefs: Prefs): string {
  return JSON.stringify({ v: PREFS_VERSION, ...prefs });
}

/** The stored preferences, or the defaults when there are none or storage is blocked. */
export function loadPrefs(storage: PrefsStorage | null): Prefs {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(PREFS_KEY) ?? null;
  } catch {
    // Storage can be blocked (private mode, policies): the defaults do.
  }
  return parsePrefs(raw);
}

export function savePrefs(storage: PrefsStorage | null, prefs: Prefs): void {
  try {
    storage?.setItem(PREFS_KEY, serializePrefs(prefs));
  } catch {
    // Quota or policy: the session goes on, unsaved.
  }
}
