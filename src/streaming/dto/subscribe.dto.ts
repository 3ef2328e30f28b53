import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { INTERVALS, TICK_ENCODINGS, type Interval } from '../../contracts';
import type { Channel, StreamMode, TickEncoding } from '../../contracts';
import { SocketPayload } from '../../common/validation';

@SocketPayload()
export class UnsubscribeDto {
  @IsArray({ message: 'symbols must be an array of strings' })
  @ArrayMinSize(1, { message: 'symbols must list at least one symbol' })
  @ArrayMaxSize(1000, { message: 'symbols must list at most 1000 symbols' })
  @IsString({ each: true, message: 'symbols must be an array of strings' })
  @MaxLength(32, { each: true, message: 'each symbol must be at most 32 characters' })
  symbols: string[];

  @IsOptional()
  @IsIn(['ticks', 'candles'], { message: "channel must be 'ticks' or 'candles'" })
  channel?: Channel;

  @IsOptional()
  @IsIn(INTERVALS, { message: `interval must be one of ${INTERVALS.join(', ')}` })
  interval?: Interval;
}

@SocketPayload()
export class SubscribeDto extends UnsubscribeDto {
  @IsOptional()
  @IsIn(['full', 'conflated'], { message: "mode must be 'full' or 'conflated'" })
  mode?: StreamMode;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'throttleMs must be an integer' })
  @Min(50, { message: 'throttleMs must be between 50 and 5000' })
  @Max(5000, { message: 'throttleMs must be between 50 and 5000' })
  throttleMs?: number;

  @IsOptional()
  @IsObject({ message: 'resume must be an object of {symbol: lastSeq}' })
  resume?: Record<string, number>;

  @IsOptional()
  @IsIn(TICK_ENCODINGS, { message: "encoding must be 'json' or 'compact'" })
  encoding?: TickEncoding;
}
