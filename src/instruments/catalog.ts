// The instrument catalog and each instrument's simulator parameters.
import type { AssetClass, Instrument } from '../contracts';

export interface SimParams {
  /** Price the simulation starts from on an empty store. */
  startPrice: number;
  /** Annualised volatility (0.25 = 25 %). */
  volatility: number;
  /** Relative tick frequency: liquid names tick more often. */
  liquidity: number;
  /** Typical trade size. */
  lotSize: number;
}

export interface CatalogEntry extends Instrument {
  sim: SimParams;
}

type Row = [
  symbol: string,
  name: string,
  exchange: string,
  currency: string,
  tickSize: number,
  startPrice: number,
  volatility: number,
  liquidity: number,
  lotSize: number,
];

const ROWS: Record<AssetClass, Row[]> = {
  equity: [
    ['AAPL', 'Apple Inc.', 'NASDAQ', 'USD', 0.01, 189.5, 0.26, 10, 100],
    ['MSFT', 'Microsoft Corporation', 'NASDAQ', 'USD', 0.01, 415.2, 0.24, 9, 100],
    ['NVDA', 'NVIDIA Corporation', 'NASDAQ', 'USD', 0.01, 122.4, 0.52, 10, 100],
    ['AMZN', 'Amazon.com, Inc.', 'NASDAQ', 'USD', 0.01, 183.7, 0.32, 8, 100],
    ['GOOGL', 'Alphabet Inc. Class A', 'NASDAQ', 'USD', 0.01, 172.3, 0.3, 8, 100],
    ['META', 'Meta Platforms, Inc.', 'NASDAQ', 'USD', 0.01, 498.6, 0.38, 7, 50],
    ['TSLA', 'Tesla, Inc.', 'NASDAQ', 'USD', 0.01, 247.1, 0.6, 10, 100],
    ['JPM', 'JPMorgan Chase & Co.', 'NYSE', 'USD', 0.01, 201.4, 0.22, 5, 100],
    ['V', 'Visa Inc.', 'NYSE', 'USD', 0.01, 276.8, 0.2, 4, 50],
    ['XOM', 'Exxon Mobil Corporation', 'NYSE', 'USD', 0.01, 114.9, 0.25, 4, 100],
    ['KO', 'The Coca-Cola Company', 'NYSE', 'USD', 0.01, 62.3, 0.15, 3, 200],
    ['SAP', 'SAP SE', 'XETRA', 'EUR', 0.02, 178.4, 0.25, 3, 50],
    ['ASML', 'ASML Holding N.V.', 'Euronext Amsterdam', 'EUR', 0.1, 872.5, 0.36, 3, 20],
    ['7203', 'Toyota Motor Corporation', 'TSE', 'JPY', 0.5, 3012, 0.27, 3, 100],
  ],
  etf: [
    ['SPY', 'SPDR S&P 500 ETF Trust', 'NYSE Arca', 'USD', 0.01, 528.4, 0.16, 10, 100],
    ['QQQ', 'Invesco QQQ Trust', 'NASDAQ', 'USD', 0.01, 452.1, 0.21, 9, 100],
    ['IWM', 'iShares Russell 2000 ETF', 'NYSE Arca', 'USD', 0.01, 207.3, 0.23, 6, 100],
    ['EEM', 'iShares MSCI Emerging Markets ETF', 'NYSE Arca', 'USD', 0.01, 42.8, 0.19, 4, 200],
    ['TLT', 'iShares 20+ Year Treasury Bond ETF', 'NASDAQ', 'USD', 0.01, 93.6, 0.17, 5, 100],
    ['GLD', 'SPDR Gold Shares', 'NYSE Arca', 'USD', 0.01, 215.9, 0.14, 5, 100],
  ],
  index: [
    ['SPX', 'S&P 500 Index', 'CBOE', 'USD', 0.01, 5283.4, 0.16, 6, 1],
    ['NDX', 'Nasdaq-100 Index', 'NASDAQ', 'USD', 0.01, 18520.7, 0.21, 6, 1],
    ['DJI', 'Dow Jones Industrial Average', 'DJ', 'USD', 0.01, 39150.3, 0.14, 5, 1],
    ['DAX', 'DAX 40 Index', 'XETRA', 'EUR', 0.01, 18420.5, 0.17, 4, 1],
    ['UKX', 'FTSE 100 Index', 'LSE', 'GBP', 0.01, 8220.1, 0.14, 4, 1],
    ['N225', 'Nikkei 225', 'OSE', 'JPY', 0.01, 38780.6, 0.2, 4, 1],
  ],
  fx: [
    ['EURUSD', 'Euro / US Dollar', 'FX', 'USD', 0.00001, 1.08542, 0.07, 10, 100000],
    ['GBPUSD', 'British Pound / US Dollar', 'FX', 'USD', 0.00001, 1.27315, 0.08, 8, 100000],
    ['USDJPY', 'US Dollar / Japanese Yen', 'FX', 'JPY', 0.001, 156.842, 0.09, 9, 100000],
    ['AUDUSD', 'Australian Dollar / US Dollar', 'FX', 'USD', 0.00001, 0.66281, 0.1, 6, 100000],
    ['USDCHF', 'US Dollar / Swiss Franc', 'FX', 'CHF', 0.00001, 0.90414, 0.08, 5, 100000],
    ['USDCAD', 'US Dollar / Canadian Dollar', 'FX', 'CAD', 0.00001, 1.36652, 0.07, 5, 100000],
  ],
  crypto: [
    ['BTCUSD', 'Bitcoin / US Dollar', 'Crypto', 'USD', 0.01, 67420.5, 0.55, 10, 0.05],
    ['ETHUSD', 'Ether / US Dollar', 'Crypto', 'USD', 0.01, 3512.8, 0.65, 9, 0.5],
    ['SOLUSD', 'Solana / US Dollar', 'Crypto', 'USD', 0.001, 168.214, 0.85, 7, 10],
    ['XRPUSD', 'XRP / US Dollar', 'Crypto', 'USD', 0.0001, 0.5213, 0.75, 6, 1000],
    ['ADAUSD', 'Cardano / US Dollar', 'Crypto', 'USD', 0.0001, 0.4587, 0.8, 5, 1000],
    ['DOGEUSD', 'Dogecoin / US Dollar', 'Crypto', 'USD', 0.00001, 0.15872, 0.95, 6, 5000],
  ],
  commodity: [
    ['XAUUSD', 'Gold Spot / US Dollar', 'Commodities', 'USD', 0.01, 2331.45, 0.15, 7, 10],
    ['XAGUSD', 'Silver Spot / US Dollar', 'Commodities', 'USD', 0.001, 29.452, 0.28, 5, 500],
    ['WTI', 'WTI Crude Oil', 'NYMEX', 'USD', 0.01, 78.62, 0.35, 6, 10],
    ['BRENT', 'Brent Crude Oil', 'ICE', 'USD', 0.01, 82.91, 0.33, 5, 10],
    ['NATGAS', 'Henry Hub Natural Gas', 'NYMEX', 'USD', 0.001, 2.614, 0.6, 4, 100],
    ['HGUSD', 'Copper / US Dollar', 'COMEX', 'USD', 0.0005, 4.5125, 0.24, 3, 100],
  ],
};

export function precisionOf(tickSize: number): number {
  const text = tickSize.toString();
  if (text.includes('e-')) return Number(text.split('e-')[1]);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export const CATALOG: readonly CatalogEntry[] = Object.entries(ROWS).flatMap(([assetClass, rows]) =>
  rows.map(
    ([symbol, name, exchange, currency, tickSize, startPrice, volatility, liquidity, lotSize]) => ({
      symbol,
      name,
      assetClass: assetClass as AssetClass,
      currency,
      exchange,
      tickSize,
      pricePrecision: precisionOf(tickSize),
      sim: { startPrice, volatility, liquidity, lotSize },
    }),
  ),
);
