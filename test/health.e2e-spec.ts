import { startApp, type TestApp } from './support/app';

describe('health and cluster endpoints of one process (e2e)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp({ NODE_ID: 'solo-1' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is live and ready: one process has no stream to catch up with', async () => {
    const live = await fetch(`${app.url}/api/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.url}/api/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', node: 'solo-1', waiting: [] });
  });

  it('describes itself as the whole deployment, running the feed', async () => {
    const res = await fetch(`${app.url}/api/cluster`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      mode: 'single',
      node: 'solo-1',
      leader: 'solo-1',
      nodes: [{ id: 'solo-1', clients: 0, lag: 0, feed: true, ready: true }],
    });
  });
});
