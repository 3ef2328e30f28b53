import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { engineIoWebSocketFrame } from './ws-frame';

// ws's frame parser; ws exports it, its type declarations do not.
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable;
};

/** What a WebSocket client's own parser (ws's Receiver) reads out of the bytes. */
function parse(frame: string): Promise<{ text: string; isBinary: boolean }[]> {
  return new Promise((resolve, reject) => {
    const got: { text: string; isBinary: boolean }[] = [];
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      got.push({ text: data.toString(), isBinary });
    });
    receiver.on('error', reject);
    receiver.write(Buffer.from(frame, 'latin1'), () => resolve(got));
  });
}

describe('engineIoWebSocketFrame', () => {
  it.each([0, 1, 124, 125, 126, 1000, 65_534, 65_535, 65_536, 200_000])(
    'frames a %i-byte packet as one text message an Engine.IO client reads back',
    async (size) => {
      const packet = `2["ticks",[${'x'.repeat(Math.max(0, size - 13))}]]`.slice(0, size);
      const frame = engineIoWebSocketFrame(packet);
      expect(await parse(frame)).toEqual([{ text: `4${packet}`, isBinary: false }]);
    },
  );

  it('uses the shortest length encoding', () => {
    expect(engineIoWebSocketFrame('a'.repeat(124)).length).toBe(2 + 125);
    expect(engineIoWebSocketFrame('a'.repeat(125)).length).toBe(4 + 126);
    expect(engineIoWebSocketFrame('a'.repeat(65_535)).length).toBe(10 + 65_536);
  });
});
