import {
  ariaSortOf,
  columnClass,
  COLUMNS,
  emptyText,
  flashClass,
  QUOTE_CELLS,
  rowCells,
  sparkTone,
} from './watchlist-model';
import { inst } from '../test-fixtures';

const quote = {
  last: 189.5,
  prevClose: 187.25,
  bid: 189.49,
  ask: 189.52,
  high: 190,
  low: 186.8,
  volume: 1_234_567,
};

describe('watchlist view-model', () => {
  it('gives each column the classes its header and cells share', () => {
    const cls = COLUMNS.map(columnClass);
    expect(cls[0]).toBe('col-symbol p0');
    expect(cls).toContain('col-last p0 num');
    expect(cls).toContain('col-spark p1');
    expect(cls.at(-1)).toBe('col-actions p0');
  });

  it('formats a row at the instrument precision, with the change toned', () => {
    expect(rowCells(quote, inst('AAPL'), 'en-US')).toEqual({
      last: '$189.50',
      change: '+2.25',
      changePct: '+1.20%',
      bid: '189.49',
      ask: '189.52',
      spread: '0.03',
      high: '190.00',
      low: '186.80',
      volume: '1.23M',
      tone: 'pos',
    });
    expect(rowCells({ ...quote, last: 180 }, inst('AAPL'), 'en-US').tone).toBe('neg');
    expect(rowCells({ ...quote, last: 187.25 }, inst('AAPL'), 'en-US').tone).toBe('');
  });

  it('shows a dash and no tone for the change without a previous close', () => {
    for (const prevClose of [NaN, 0]) {
      const cells = rowCells({ ...quote, prevClose }, inst('AAPL'), 'en-US');
      expect(cells).toMatchObject({ change: '—', changePct: '—', tone: '', last: '$189.50' });
    }
  });

  it('writes every quote cell, the name excepted', () => {
    expect(QUOTE_CELLS).not.toContain('name');
    expect(Object.keys(rowCells(quote, inst('AAPL'))).sort()).toEqual(
      [...QUOTE_CELLS, 'tone'].sort(),
    );
  });

  it('alternates the flash between two names so each change restarts it', () => {
    expect(flashClass(true, true)).toBe('up flash1');
    expect(flashClass(true, false)).toBe('up flash2');
    expect(flashClass(false, true)).toBe('down flash1');
  });

  it('marks only the sorted column, with its direction', () => {
    expect(ariaSortOf('last', { key: 'last', dir: 1 })).toBe('ascending');
    expect(ariaSortOf('last', { key: 'last', dir: -1 })).toBe('descending');
    expect(ariaSortOf('bid', { key: 'last', dir: 1 })).toBeNull();
    expect(ariaSortOf('symbol', { key: null, dir: 1 })).toBeNull();
  });

  it('tones the session line against the previous close, if known', () => {
    expect(sparkTone([100, 101], 100)).toBe('pos');
    expect(sparkTone([100, 100], 100)).toBe('pos');
    expect(sparkTone([101, 99], 100)).toBe('neg');
    expect(sparkTone([101, 99], undefined)).toBe('');
    expect(sparkTone([101, 99], NaN)).toBe('');
  });

  it('says why the table is empty', () => {
    expect(emptyText(false)).toBe('Loading instruments…');
    expect(emptyText(true)).toMatch(/watchlist is empty/);
  });
});
