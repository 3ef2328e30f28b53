import { ApiProperty } from '@nestjs/swagger';

export class HealthDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

export class ReadyDto {
  @ApiProperty({ enum: ['ready', 'not-ready'] })
  status: 'ready' | 'not-ready';

  @ApiProperty({ description: 'This node, as NODE_ID names it' })
  node: string;

  @ApiProperty({
    type: [String],
    description:
      'Why the node is not ready yet (catching up with the stream, draining); empty when ready',
  })
  waiting: string[];
}
