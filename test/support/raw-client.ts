// A bare Engine.IO v4 client over ws, for tests that need control of the socket (e.g. to stop reading).
import WebSocket from 'ws';

export class RawClient {
  readonly events: Array<[string, unknown]> = [];
  private readonly acks = new Map<number, (value: unknown) => void>();
  private nextId = 1;
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.onPacket(data.toString()));
    ws.on('close', () => (this.closed = true));
  }

  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      const onMessage = (data: WebSocket.RawData) => {
        const text = data.toString();
        if (text.startsWith('0')) ws.send('40');
        if (text.startsWith('40')) {
          ws.off('message', onMessage);
          resolve();
        }
      };
      ws.on('message', onMessage);
    });
    return client;
  }

  private onPacket(text: string): void {
    if (text === '2') return this.ws.send('3'); // ping -> pong
    const m = /^4([23])(\d*)(.*)$/s.exec(text);
    if (!m) return;
    const payload = JSON.parse(m[3]) as unknown[];
    if (m[1] === '2') this.events.push([payload[0] as string, payload[1]]);
    else this.acks.get(Number(m[2]))?.(payload[0]);
  }

  emitWithAck(event: string, payload: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    });
  }

  private heldResume: (() => unknown) | undefined;

  private get socket(): { pause(): unknown; resume(): unknown } {
    return (this.ws as unknown as { _socket: { pause(): unknown; resume(): unknown } })._socket;
  }

  /**
   * Stops reading from the TCP socket, so the server's writes back up. ws resumes its socket by
   * itself when its parser drains, so resume is held off until `resume()` is called.
   */
  pause(): void {
    const socket = this.socket;
    socket.pause();
    this.heldResume = socket.resume;
    socket.resume = () => socket;
  }

  resume(): void {
    const socket = this.socket;
    if (this.heldResume) socket.resume = this.heldResume;
    this.heldResume = undefined;
    socket.resume();
  }

  close(): void {
    this.ws.terminate();
  }
}
