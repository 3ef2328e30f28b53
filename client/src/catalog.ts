// The instrument catalog as the page knows it, and the add box's search over it.
import type { Instrument } from '../../src/contracts';

/** Catalog search for the add box: symbol prefix first, then symbol, then name matches. */
export function searchInstruments(
  catalog: Iterable<Instrument>,
  query: string,
  limit = 8,
): Instrument[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const ranked: Array<[number, Instrument]> = [];
  for (const inst of catalog) {
    const sym = inst.symbol.toLowerCase();
    const name = inst.name.toLowerCase();
    let rank = -1;
    if (sym === q) rank = 0;
    else if (sym.startsWith(q)) rank = 1;
    else if (name.startsWith(q)) rank = 2;
    else if (name.split(/[\s/.,-]+/).some((w) => w.startsWith(q))) rank = 3;
    else if (sym.includes(q) || name.includes(q)) rank = 4;
    if (rank >= 0) ranked.push([rank, inst]);
  }
  ranked.sort((a, b) => a[0] - b[0] || a[1].symbol.localeCompare(b[1].symbol));
  return ranked.slice(0, limit).map(([, inst]) => inst);
}

/** The catalog as readers see it: looked up and searched, replaced only by its owner. */
export type CatalogReader = Pick<Catalog, 'loaded' | 'get' | 'has' | 'search'>;

export class Catalog {
  private readonly bySymbol = new Map<string, Instrument>();
  private isLoaded = false;

  /** False until the instrument list first arrives. */
  get loaded(): boolean {
    return this.isLoaded;
  }

  set(instruments: readonly Instrument[]): void {
    this.bySymbol.clear();
    for (const inst of instruments) this.bySymbol.set(inst.symbol, inst);
    this.isLoaded = true;
  }

  get(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  search(query: string, limit = 8): Instrument[] {
    return searchInstruments(this.bySymbol.values(), query, limit);
  }
}
