// Response shapes of the history routes, for the OpenAPI document only: handlers return (or send
// pre-encoded) the contract types these classes implement.
import { ApiProperty } from '@nestjs/swagger';
import { INTERVALS, type Candle, type Interval, type Snapshot, type Tick } from '../../contracts';

export class TickDto implements Tick {
  @ApiProperty({ type: String, example: 'AAPL' })
  symbol: string;

  @ApiProperty({ type: 'integer', description: 'Starts at 1, rises by exactly 1 per symbol' })
  seq: number;

  @ApiProperty({ type: 'integer', description: 'UTC epoch milliseconds' })
  ts: number;

  @ApiProperty({ type: Number })
  bid: number;

  @ApiProperty({ type: Number })
  ask: number;

  @ApiProperty({ type: Number, description: 'Quantity quoted at the bid' })
  bidSize: number;

  @ApiProperty({ type: Number, description: 'Quantity quoted at the ask' })
  askSize: number;

  @ApiProperty({ type: Number, description: 'Last trade price' })
  last: number;

  @ApiProperty({ type: Number, description: "Last trade's size" })
  size: number;

  @ApiProperty({ type: Number, description: 'Volume traded in the current UTC day' })
  volume: number;
}

export class SnapshotDto extends TickDto implements Snapshot {
  @ApiProperty({ type: Number, description: 'Open of the current UTC day' })
  open: number;

  @ApiProperty({ type: Number, description: 'High of the current UTC day' })
  high: number;

  @ApiProperty({ type: Number, description: 'Low of the current UTC day' })
  low: number;

  @ApiProperty({ type: Number, description: "The previous UTC day's close" })
  prevClose: number;

  @ApiProperty({ type: Number, description: 'last - prevClose' })
  change: number;

  @ApiProperty({ type: Number, description: 'change in percent of prevClose' })
  changePct: number;
}

export class CandleDto implements Candle {
  @ApiProperty({ type: 'integer', description: 'Bucket start, UTC epoch ms, interval-aligned' })
  t: number;

  @ApiProperty({ type: Number, description: 'Open' })
  o: number;

  @ApiProperty({ type: Number, description: 'High' })
  h: number;

  @ApiProperty({ type: Number, description: 'Low' })
  l: number;

  @ApiProperty({ type: Number, description: 'Close' })
  c: number;

  @ApiProperty({ type: Number, description: 'Volume' })
  v: number;

  @ApiProperty({ type: 'integer', description: 'Number of ticks' })
  n: number;
}

export class QuotesPageDto {
  @ApiProperty({ type: String })
  symbol: string;

  @ApiProperty({ type: [TickDto], description: 'Ascending by seq' })
  quotes: TickDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}

export class CandlesPageDto {
  @ApiProperty({ type: String })
  symbol: string;

  @ApiProperty({ enum: INTERVALS })
  interval: Interval;

  @ApiProperty({ type: [CandleDto], description: 'Ascending by t; the open candle is last' })
  candles: CandleDto[];
}

export class LatestQuotesDto {
  @ApiProperty({ type: [SnapshotDto] })
  quotes: SnapshotDto[];
}
