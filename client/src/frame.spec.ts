import type { Announcer } from './announcer';
import { DashboardFrame, type FrameViews } from './frame';
import { parsePrefs } from './preferences';
import { DashboardStore } from './store';
import type { BadgeStatus } from './views/badge';
import { CATALOG } from './test-fixtures';

function makeFrame() {
  const store = new DashboardStore({ ...parsePrefs(null), watchlist: ['AAPL'] });
  store.setCatalog(CATALOG);
  const badges: BadgeStatus[] = [];
  const said: string[] = [];
  const views = {
    watchlist: { render: () => [] },
    detail: { render: () => undefined },
    badge: { render: (s: BadgeStatus) => badges.push(s) },
    message: { render: () => undefined },
  } as unknown as FrameViews;
  const announcer = {
    connection: (state: string) => said.push(`state ${state}`),
    say: (text: string) => said.push(text),
  } as unknown as Announcer;
  const sut = new DashboardFrame(store, views, announcer);
  return { sut, store, badges, said };
}

describe('DashboardFrame', () => {
  it('draws the node on the badge without announcing the same state again', () => {
    const { sut, store, badges, said } = makeFrame();
    store.connected(false);
    sut.render();
    store.servedBy('node-2');
    sut.render();
    expect(badges.at(-1)).toMatchObject({ state: 'live', node: 'node-2' });
    expect(said).toEqual(['state live']);
  });

  it('shows paused with its reason, announces the message once, and live on recovery', () => {
    const { sut, store, badges, said } = makeFrame();
    store.connected(false);
    sut.render();
    store.stalled('The feed is moving.');
    store.showMessage('stalled', 'Prices paused: The feed is moving.');
    sut.render();
    expect(badges.at(-1)).toMatchObject({ state: 'paused', pauseMessage: 'The feed is moving.' });
    store.recovered();
    store.clearMessage('stalled');
    sut.render();
    expect(badges.at(-1)).toMatchObject({ state: 'live', pauseMessage: null });
    expect(said).toEqual([
      'state live',
      'state paused',
      'Prices paused: The feed is moving.',
      'state live',
    ]);
  });
});
