// Response shapes of the instruments routes, for the OpenAPI document only.
import { ApiProperty } from '@nestjs/swagger';
import { ASSET_CLASSES, type AssetClass, type Instrument } from '../../contracts';
import { SnapshotDto } from '../../quotes/dto/history.response';

export class InstrumentDto implements Instrument {
  @ApiProperty({ type: String, description: 'Upper case, unique', example: 'AAPL' })
  symbol: string;

  @ApiProperty({ type: String, example: 'Apple Inc.' })
  name: string;

  @ApiProperty({ enum: ASSET_CLASSES })
  assetClass: AssetClass;

  @ApiProperty({ type: String, description: 'ISO 4217 code (the quote asset for crypto)' })
  currency: string;

  @ApiProperty({ type: String, example: 'NASDAQ' })
  exchange: string;

  @ApiProperty({ type: Number, description: 'Smallest price increment' })
  tickSize: number;

  @ApiProperty({ type: 'integer', description: 'Decimal places shown for prices' })
  pricePrecision: number;
}

export class InstrumentListDto {
  @ApiProperty({ type: [InstrumentDto] })
  instruments: InstrumentDto[];
}

export class InstrumentDetailDto extends InstrumentDto {
  @ApiProperty({
    type: SnapshotDto,
    nullable: true,
    description: 'The latest snapshot; null before the first tick',
  })
  quote: SnapshotDto | null;
}
