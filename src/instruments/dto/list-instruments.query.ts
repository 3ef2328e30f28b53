import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ASSET_CLASSES, type AssetClass } from '../../contracts';

export class ListInstrumentsQuery {
  @ApiPropertyOptional({ enum: ASSET_CLASSES })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(ASSET_CLASSES, { message: `assetClass must be one of ${ASSET_CLASSES.join(', ')}` })
  assetClass?: AssetClass;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the symbol or name' })
  @IsOptional()
  @IsString({ message: 'q must be a string' })
  @MaxLength(100, { message: 'q must be at most 100 characters' })
  q?: string;
}
