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

export class ClusterNodeDto {
  @ApiProperty({ description: 'NODE_ID' })
  id: string;

  @ApiProperty({ description: 'Connected sockets' })
  clients: number;

  @ApiProperty({ description: 'Stream messages the node has still to apply (0: caught up)' })
  lag: number;

  @ApiProperty({ description: 'Whether the node may run the feed (FEED=auto)' })
  feed: boolean;

  @ApiProperty({ description: 'Whether it is ready for traffic' })
  ready: boolean;

  @ApiProperty({ description: 'When it last reported itself, UTC epoch ms' })
  seenAt: number;
}

export class ClusterViewDto {
  @ApiProperty({ enum: ['single', 'cluster'] })
  mode: 'single' | 'cluster';

  @ApiProperty({ description: 'The node that answered (NODE_ID)' })
  node: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The node that runs the feed now; null during a failover',
  })
  leader: string | null;

  @ApiProperty({ type: [ClusterNodeDto] })
  nodes: ClusterNodeDto[];
}
