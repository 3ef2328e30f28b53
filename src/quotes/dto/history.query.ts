import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { INTERVALS, type Interval } from '../../contracts';
import { parseTimeParam } from '../../common/time-param';

export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 5000;

const TIME_DOC = 'ISO-8601 (UTC unless an offset is given) or epoch milliseconds';
const toTime = ({ value }: { value: unknown }) =>
  value === undefined ? value : parseTimeParam(value);
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

export class HistoryQuery {
  @ApiPropertyOptional({ description: `Range start, inclusive: ${TIME_DOC}`, type: String })
  @IsOptional()
  @Transform(toTime)
  @IsInt({ message: `from must be ${TIME_DOC}` })
  from?: number;

  @ApiPropertyOptional({ description: `Range end, exclusive: ${TIME_DOC}`, type: String })
  @IsOptional()
  @Transform(toTime)
  @IsInt({ message: `to must be ${TIME_DOC}` })
  to?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  @Min(1, { message: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  @Max(MAX_LIMIT, { message: `limit must be an integer from 1 to ${MAX_LIMIT}` })
  limit?: number;
}

export class QuotesQuery extends HistoryQuery {
  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsString({ message: 'cursor must be a string' })
  @MaxLength(512, { message: 'cursor was not issued by this server' })
  cursor?: string;
}

export class CandlesQuery extends HistoryQuery {
  @ApiProperty({ enum: INTERVALS })
  @IsIn(INTERVALS, { message: `interval must be one of ${INTERVALS.join(', ')}` })
  interval: Interval;
}

export class LatestQuery {
  @ApiPropertyOptional({
    description: 'Comma-separated symbols (any case); all instruments when omitted',
  })
  @IsOptional()
  @IsString({ message: 'symbols must be a comma-separated list' })
  @MaxLength(4000, { message: 'symbols must be at most 4000 characters' })
  symbols?: string;
}
