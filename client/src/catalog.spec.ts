import { Catalog, searchInstruments } from './catalog';
import { CATALOG } from './test-fixtures';

describe('searchInstruments', () => {
  it('searches the catalog by symbol or name, best matches first', () => {
    // "Meta Platforms" contains "ms" too, ranked below the symbol prefix.
    expect(searchInstruments(CATALOG, 'ms').map((i) => i.symbol)).toEqual(['MSFT', 'META']);
    expect(searchInstruments(CATALOG, 'corp').map((i) => i.symbol)).toEqual(['MSFT', 'NVDA']);
    expect(searchInstruments(CATALOG, 'TESLA').map((i) => i.symbol)).toEqual(['TSLA']);
    expect(searchInstruments(CATALOG, 'a').map((i) => i.symbol)[0]).toBe('AAPL');
    expect(searchInstruments(CATALOG, '  ')).toEqual([]);
    expect(searchInstruments(CATALOG, 'a', 2)).toHaveLength(2);
  });
});

describe('Catalog', () => {
  it('is not loaded until the instrument list arrives, then replaces it whole', () => {
    const sut = new Catalog();
    expect(sut.loaded).toBe(false);
    expect(sut.search('aapl')).toEqual([]);
    sut.set(CATALOG);
    expect(sut.loaded).toBe(true);
    expect(sut.get('MSFT')?.name).toBe('Microsoft Corporation');
    expect(sut.search('tesla').map((i) => i.symbol)).toEqual(['TSLA']);
    sut.set(CATALOG.slice(0, 1));
    expect(sut.has('MSFT')).toBe(false);
    expect(sut.has('AAPL')).toBe(true);
  });
});
