// Runs the cluster contract (cluster.contract.ts) on the JetStream adapters against a real
// nats-server that this spec starts itself (its own port, store dir and process group). Without
// /usr/sbin/nats-server (or NATS_SERVER_BIN) it reports itself skipped, except under CI, where it
// must run and fails loudly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describeClusterContract } from '../cluster.contract';
import { JetStreamLeaseStore } from './jetstream-lease.store';
import { JetStreamTickStream } from './jetstream-tick.stream';

const NATS_SERVER = process.env.NATS_SERVER_BIN || '/usr/sbin/nats-server';
const TTL_MS = 1_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class NatsServerProcess {
  private child: ChildProcess | undefined;
  private dir = mkdtempSync(join(tmpdir(), 'tickerboard-nats-'));
  url = '';

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `nats://127.0.0.1:${port}`;
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', this.dir];
    this.child = spawn(NATS_SERVER, args, { detached: true, stdio: 'ignore' });
    let spawnError: Error | undefined;
    this.child.once('error', (error) => (spawnError = error));
    for (let i = 0; i < 100; i++) {
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 500 });
        await (await jetstreamManager(nc)).getAccountInfo();
        await nc.close();
        return;
      } catch {
        if (this.child.exitCode !== null || spawnError) break;
        await sleep(100);
      }
    }
    const why = spawnError?.message ?? `exit ${this.child.exitCode}`;
    throw new Error(`${NATS_SERVER} did not start on ${this.url} (${why})`);
  }

  stop(): void {
    // The whole process group, so nothing is left listening.
    if (this.child?.pid && this.child.exitCode === null) process.kill(-this.child.pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

if (!existsSync(NATS_SERVER) && !process.env.CI) {
  console.warn(
    `JetStream adapter specs skipped: no nats-server at ${NATS_SERVER}. Install it (apt-get install ` +
      'nats-server) or set NATS_SERVER_BIN; with CI set these specs run and fail instead.',
  );
  describe.skip(`JetStream adapters (skipped: no nats-server at ${NATS_SERVER})`, () => {
    it('runs the cluster contract against a live server', () => undefined);
  });
} else {
  const server = new NatsServerProcess();
  const connections: NatsConnection[] = [];
  let run = 0;

  beforeAll(async () => {
    await server.start();
    for (let i = 0; i < 2; i++) connections.push(await connect({ servers: server.url }));
  }, 20_000);

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    server.stop();
  });

  describeClusterContract('JetStream on nats-server', async () => {
    const bucket = `lease_${++run}`;
    const stream = `TICKS_${run}`;
    const [one, two] = connections;
    const leaseStores = [
      await JetStreamLeaseStore.open(one, { bucket, ttlMs: TTL_MS }),
      await JetStreamLeaseStore.open(two, { bucket, ttlMs: TTL_MS }),
    ] as const;
    const tickStreams = [
      await JetStreamTickStream.open(one, { stream }),
      await JetStreamTickStream.open(two, { stream }),
    ] as const;
    return {
      ttlMs: TTL_MS,
      leaseStores: [...leaseStores],
      tickStreams: [...tickStreams],
      letLeaseExpire: async (key) => {
        await sleep(TTL_MS);
        // The server expires on its own timer: allow it two more TTLs, no longer.
        for (let waited = 0; (await leaseStores[0].get(key)) !== null; waited += 50) {
          if (waited > 2 * TTL_MS) throw new Error(`${key} did not expire within 3 TTLs`);
          await sleep(50);
        }
      },
      close: async () => {
        await new Kvm(one).open(bucket).then((kv) => kv.destroy());
        await (await jetstreamManager(one)).streams.delete(stream);
      },
    };
  });
}
