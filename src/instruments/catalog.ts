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
    ['AVGO', 'Broadcom Inc.', 'NASDAQ', 'USD', 0.01, 1402.3, 0.4, 4, 20],
    ['AMD', 'Advanced Micro Devices, Inc.', 'NASDAQ', 'USD', 0.01, 158.2, 0.5, 5, 100],
    ['NFLX', 'Netflix, Inc.', 'NASDAQ', 'USD', 0.01, 641.5, 0.38, 3, 20],
    ['ADBE', 'Adobe Inc.', 'NASDAQ', 'USD', 0.01, 478.9, 0.33, 2, 20],
    ['INTC', 'Intel Corporation', 'NASDAQ', 'USD', 0.01, 30.84, 0.42, 4, 200],
    ['CSCO', 'Cisco Systems, Inc.', 'NASDAQ', 'USD', 0.01, 46.92, 0.2, 2, 200],
    ['PEP', 'PepsiCo, Inc.', 'NASDAQ', 'USD', 0.01, 171.3, 0.16, 2, 100],
    ['COST', 'Costco Wholesale Corporation', 'NASDAQ', 'USD', 0.01, 812.6, 0.2, 2, 20],
    ['ORCL', 'Oracle Corporation', 'NYSE', 'USD', 0.01, 124.7, 0.3, 3, 100],
    ['CRM', 'Salesforce, Inc.', 'NYSE', 'USD', 0.01, 268.1, 0.32, 2, 50],
    ['WMT', 'Walmart Inc.', 'NYSE', 'USD', 0.01, 66.12, 0.17, 3, 200],
    ['JNJ', 'Johnson & Johnson', 'NYSE', 'USD', 0.01, 149.8, 0.15, 2, 100],
    ['PG', 'The Procter & Gamble Company', 'NYSE', 'USD', 0.01, 165.4, 0.14, 2, 100],
    ['UNH', 'UnitedHealth Group Incorporated', 'NYSE', 'USD', 0.01, 496.2, 0.25, 2, 20],
    ['HD', 'The Home Depot, Inc.', 'NYSE', 'USD', 0.01, 342.7, 0.22, 2, 50],
    ['MA', 'Mastercard Incorporated', 'NYSE', 'USD', 0.01, 451.3, 0.2, 2, 20],
    ['BAC', 'Bank of America Corporation', 'NYSE', 'USD', 0.01, 39.46, 0.26, 4, 500],
    ['DIS', 'The Walt Disney Company', 'NYSE', 'USD', 0.01, 102.8, 0.28, 2, 100],
    ['NKE', 'NIKE, Inc.', 'NYSE', 'USD', 0.01, 94.15, 0.3, 2, 100],
    ['MCD', "McDonald's Corporation", 'NYSE', 'USD', 0.01, 256.3, 0.16, 2, 50],
    ['BA', 'The Boeing Company', 'NYSE', 'USD', 0.01, 181.6, 0.36, 3, 50],
    ['CAT', 'Caterpillar Inc.', 'NYSE', 'USD', 0.01, 338.9, 0.28, 2, 50],
    ['NESN', 'Nestle S.A.', 'SIX', 'CHF', 0.02, 93.5, 0.15, 2, 100],
    ['MC', 'LVMH Moet Hennessy Louis Vuitton SE', 'Euronext Paris', 'EUR', 0.1, 742.3, 0.27, 2, 10],
    ['SHEL', 'Shell plc', 'LSE', 'GBP', 0.005, 28.145, 0.24, 2, 200],
    ['SIE', 'Siemens AG', 'XETRA', 'EUR', 0.02, 174.56, 0.26, 2, 50],
    ['9984', 'SoftBank Group Corp.', 'TSE', 'JPY', 1, 8920, 0.48, 2, 100],
    ['0700', 'Tencent Holdings Limited', 'HKEX', 'HKD', 0.2, 376.4, 0.34, 3, 100],
    ['005930', 'Samsung Electronics Co., Ltd.', 'KRX', 'KRW', 100, 78200, 0.3, 3, 10],
  ],
  etf: [
    ['SPY', 'SPDR S&P 500 ETF Trust', 'NYSE Arca', 'USD', 0.01, 528.4, 0.16, 10, 100],
    ['QQQ', 'Invesco QQQ Trust', 'NASDAQ', 'USD', 0.01, 452.1, 0.21, 9, 100],
    ['IWM', 'iShares Russell 2000 ETF', 'NYSE Arca', 'USD', 0.01, 207.3, 0.23, 6, 100],
    ['EEM', 'iShares MSCI Emerging Markets ETF', 'NYSE Arca', 'USD', 0.01, 42.8, 0.19, 4, 200],
    ['TLT', 'iShares 20+ Year Treasury Bond ETF', 'NASDAQ', 'USD', 0.01, 93.6, 0.17, 5, 100],
    ['GLD', 'SPDR Gold Shares', 'NYSE Arca', 'USD', 0.01, 215.9, 0.14, 5, 100],
    ['VTI', 'Vanguard Total Stock Market ETF', 'NYSE Arca', 'USD', 0.01, 263.4, 0.16, 3, 100],
    ['XLF', 'Financial Select Sector SPDR Fund', 'NYSE Arca', 'USD', 0.01, 41.22, 0.2, 3, 200],
    ['XLE', 'Energy Select Sector SPDR Fund', 'NYSE Arca', 'USD', 0.01, 91.35, 0.25, 2, 100],
    [
      'HYG',
      'iShares iBoxx $ High Yield Corporate Bond ETF',
      'NYSE Arca',
      'USD',
      0.01,
      77.48,
      0.08,
      2,
      200,
    ],
  ],
  index: [
    ['SPX', 'S&P 500 Index', 'CBOE', 'USD', 0.01, 5283.4, 0.16, 6, 1],
    ['NDX', 'Nasdaq-100 Index', 'NASDAQ', 'USD', 0.01, 18520.7, 0.21, 6, 1],
    ['DJI', 'Dow Jones Industrial Average', 'DJ', 'USD', 0.01, 39150.3, 0.14, 5, 1],
    ['DAX', 'DAX 40 Index', 'XETRA', 'EUR', 0.01, 18420.5, 0.17, 4, 1],
    ['UKX', 'FTSE 100 Index', 'LSE', 'GBP', 0.01, 8220.1, 0.14, 4, 1],
    ['N225', 'Nikkei 225', 'OSE', 'JPY', 0.01, 38780.6, 0.2, 4, 1],
    ['RUT', 'Russell 2000 Index', 'FTSE Russell', 'USD', 0.01, 2071.8, 0.22, 3, 1],
    ['CAC', 'CAC 40 Index', 'Euronext Paris', 'EUR', 0.01, 8012.4, 0.16, 3, 1],
    ['HSI', 'Hang Seng Index', 'HKEX', 'HKD', 0.01, 18650.2, 0.24, 3, 1],
    ['VIX', 'CBOE Volatility Index', 'CBOE', 'USD', 0.01, 12.86, 0.9, 3, 1],
  ],
  fx: [
    ['EURUSD', 'Euro / US Dollar', 'FX', 'USD', 0.00001, 1.08542, 0.07, 10, 100000],
    ['GBPUSD', 'British Pound / US Dollar', 'FX', 'USD', 0.00001, 1.27315, 0.08, 8, 100000],
    ['USDJPY', 'US Dollar / Japanese Yen', 'FX', 'JPY', 0.001, 156.842, 0.09, 9, 100000],
    ['AUDUSD', 'Australian Dollar / US Dollar', 'FX', 'USD', 0.00001, 0.66281, 0.1, 6, 100000],
    ['USDCHF', 'US Dollar / Swiss Franc', 'FX', 'CHF', 0.00001, 0.90414, 0.08, 5, 100000],
    ['USDCAD', 'US Dollar / Canadian Dollar', 'FX', 'CAD', 0.00001, 1.36652, 0.07, 5, 100000],
    ['NZDUSD', 'New Zealand Dollar / US Dollar', 'FX', 'USD', 0.00001, 0.61248, 0.11, 3, 100000],
    ['EURGBP', 'Euro / British Pound', 'FX', 'GBP', 0.00001, 0.85316, 0.06, 4, 100000],
    ['EURJPY', 'Euro / Japanese Yen', 'FX', 'JPY', 0.001, 170.254, 0.09, 4, 100000],
    ['GBPJPY', 'British Pound / Japanese Yen', 'FX', 'JPY', 0.001, 199.687, 0.1, 3, 100000],
    ['EURCHF', 'Euro / Swiss Franc', 'FX', 'CHF', 0.00001, 0.98132, 0.06, 3, 100000],
    ['USDCNH', 'US Dollar / Offshore Chinese Yuan', 'FX', 'CNH', 0.00001, 7.25841, 0.04, 3, 100000],
    ['USDMXN', 'US Dollar / Mexican Peso', 'FX', 'MXN', 0.00001, 16.98423, 0.12, 2, 100000],
    ['USDSEK', 'US Dollar / Swedish Krona', 'FX', 'SEK', 0.00001, 10.61274, 0.1, 2, 100000],
  ],
  crypto: [
    ['BTCUSD', 'Bitcoin / US Dollar', 'Crypto', 'USD', 0.01, 67420.5, 0.55, 10, 0.05],
    ['ETHUSD', 'Ether / US Dollar', 'Crypto', 'USD', 0.01, 3512.8, 0.65, 9, 0.5],
    ['SOLUSD', 'Solana / US Dollar', 'Crypto', 'USD', 0.001, 168.214, 0.85, 7, 10],
    ['XRPUSD', 'XRP / US Dollar', 'Crypto', 'USD', 0.0001, 0.5213, 0.75, 6, 1000],
    ['ADAUSD', 'Cardano / US Dollar', 'Crypto', 'USD', 0.0001, 0.4587, 0.8, 5, 1000],
    ['DOGEUSD', 'Dogecoin / US Dollar', 'Crypto', 'USD', 0.00001, 0.15872, 0.95, 6, 5000],
    ['BNBUSD', 'BNB / US Dollar', 'Crypto', 'USD', 0.01, 592.4, 0.6, 4, 1],
    ['LTCUSD', 'Litecoin / US Dollar', 'Crypto', 'USD', 0.01, 82.37, 0.7, 3, 10],
    ['DOTUSD', 'Polkadot / US Dollar', 'Crypto', 'USD', 0.001, 7.124, 0.85, 2, 100],
    ['LINKUSD', 'Chainlink / US Dollar', 'Crypto', 'USD', 0.001, 16.842, 0.85, 2, 50],
    ['AVAXUSD', 'Avalanche / US Dollar', 'Crypto', 'USD', 0.001, 35.418, 0.9, 2, 20],
  ],
  commodity: [
    ['XAUUSD', 'Gold Spot / US Dollar', 'Commodities', 'USD', 0.01, 2331.45, 0.15, 7, 10],
    ['XAGUSD', 'Silver Spot / US Dollar', 'Commodities', 'USD', 0.001, 29.452, 0.28, 5, 500],
    ['WTI', 'WTI Crude Oil', 'NYMEX', 'USD', 0.01, 78.62, 0.35, 6, 10],
    ['BRENT', 'Brent Crude Oil', 'ICE', 'USD', 0.01, 82.91, 0.33, 5, 10],
    ['NATGAS', 'Henry Hub Natural Gas', 'NYMEX', 'USD', 0.001, 2.614, 0.6, 4, 100],
    ['HGUSD', 'Copper / US Dollar', 'COMEX', 'USD', 0.0005, 4.5125, 0.24, 3, 100],
    ['XPTUSD', 'Platinum Spot / US Dollar', 'Commodities', 'USD', 0.01, 1021.35, 0.25, 2, 5],
    ['XPDUSD', 'Palladium Spot / US Dollar', 'Commodities', 'USD', 0.01, 948.6, 0.38, 1, 5],
    ['CORN', 'Corn Futures', 'CBOT', 'USD', 0.25, 446.5, 0.25, 2, 5],
    ['WHEAT', 'Wheat Futures', 'CBOT', 'USD', 0.25, 688.75, 0.3, 2, 5],
    ['SOYB', 'Soybean Futures', 'CBOT', 'USD', 0.25, 1187.25, 0.2, 2, 5],
    ['COFFEE', 'Coffee C Futures', 'ICE', 'USD', 0.05, 227.35, 0.35, 1, 5],
    ['COCOA', 'Cocoa Futures', 'ICE', 'USD', 1, 7920, 0.55, 1, 5],
    ['SUGAR', 'Sugar No. 11 Futures', 'ICE', 'USD', 0.01, 18.74, 0.3, 1, 10],
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

/**
 * A symbol's ticks per second: its liquidity's share of the combined rate across `entries`.
 * The live feed and the history backfill both weight symbols this way.
 */
export function symbolTickRate(
  entry: CatalogEntry,
  combinedRate: number,
  entries: readonly CatalogEntry[] = CATALOG,
): number {
  const totalLiquidity = entries.reduce((sum, e) => sum + e.sim.liquidity, 0);
  return (combinedRate * entry.sim.liquidity) / totalLiquidity;
}
