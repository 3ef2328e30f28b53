// The REST error body ({statusCode, error, message, code, details}), for the OpenAPI document.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, type ApiErrorBody, type ErrorCode } from '../../contracts';

export class ApiErrorDetailsDto {
  @ApiPropertyOptional({ type: [String], description: 'UNKNOWN_SYMBOL: the unknown symbols' })
  symbols?: string[];

  @ApiPropertyOptional({ type: [String], description: 'INVALID_PAYLOAD: each bad parameter' })
  problems?: string[];
}

export class ApiErrorDto implements ApiErrorBody {
  @ApiProperty({ type: 'integer', example: 404 })
  statusCode: number;

  @ApiProperty({ type: String, description: "The status's reason phrase", example: 'Not Found' })
  error: string;

  @ApiProperty({ type: String, example: 'Unknown symbol: NOPE' })
  message: string;

  @ApiProperty({ enum: ERROR_CODES, example: 'UNKNOWN_SYMBOL' })
  code: ErrorCode;

  @ApiPropertyOptional({ type: ApiErrorDetailsDto })
  details?: ApiErrorDetailsDto;
}
