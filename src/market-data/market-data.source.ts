// What fills this node's market data: MarketDataIngest (the feed in this process, the embedded
// default) or ClusterIngest (the cluster's tick stream). The module binds one of them by config.
import type { ClusterView } from '../contracts';

export abstract class MarketDataSource {
  /** Counters for /api/metrics. */
  abstract stats(): Record<string, number>;
  /** This node and, in cluster mode, its peers and the feed's leader, for GET /api/cluster. */
  abstract cluster(): Promise<ClusterView>;
  /** How many sockets this node serves, read when the node reports itself to its peers. */
  abstract countClientsWith(count: () => number): void;
}
