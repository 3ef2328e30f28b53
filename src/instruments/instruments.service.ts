import { Injectable } from '@nestjs/common';
import type { AssetClass, Instrument } from '../contracts';
import { UnknownSymbolError } from '../common/errors';
import { CATALOG, type CatalogEntry } from './catalog';

function toInstrument({ sim: _sim, ...instrument }: CatalogEntry): Instrument {
  return instrument;
}

@Injectable()
export class InstrumentsService {
  private readonly bySymbol = new Map<string, CatalogEntry>(CATALOG.map((e) => [e.symbol, e]));
  private readonly instruments = CATALOG.map(toInstrument);
  private readonly publicBySymbol = new Map(this.instruments.map((i) => [i.symbol, i]));

  list(filter: { assetClass?: AssetClass; q?: string } = {}): Instrument[] {
    const q = filter.q?.trim().toLowerCase();
    return this.instruments.filter(
      (i) =>
        (!filter.assetClass || i.assetClass === filter.assetClass) &&
        (!q || i.symbol.toLowerCase().includes(q) || i.name.toLowerCase().includes(q)),
    );
  }

  symbols(): string[] {
    return this.instruments.map((i) => i.symbol);
  }

  /** Canonical (upper-case) symbol, or undefined when the catalog has none. */
  normalize(symbol: string): string | undefined {
    const s = symbol.trim().toUpperCase();
    return this.bySymbol.has(s) ? s : undefined;
  }

  get(symbol: string): Instrument {
    const instrument = this.publicBySymbol.get(symbol.trim().toUpperCase());
    if (!instrument) throw new UnknownSymbolError([symbol]);
    return instrument;
  }

  entry(symbol: string): CatalogEntry {
    const entry = this.bySymbol.get(symbol.trim().toUpperCase());
    if (!entry) throw new UnknownSymbolError([symbol]);
    return entry;
  }

  entries(): readonly CatalogEntry[] {
    return CATALOG;
  }

  /** Canonical symbols for a list; throws one error listing every unknown one. */
  resolve(symbols: readonly string[]): string[] {
    const out: string[] = [];
    const unknown: string[] = [];
    for (const raw of symbols) {
      const s = this.normalize(raw);
      if (s) out.push(s);
      else unknown.push(raw);
    }
    if (unknown.length) throw new UnknownSymbolError(unknown);
    return [...new Set(out)];
  }
}
