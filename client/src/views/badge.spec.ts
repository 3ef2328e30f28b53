import { badgeText, type BadgeStatus } from './badge';

const status = (over: Partial<BadgeStatus>): BadgeStatus => ({
  state: 'live',
  stale: null,
  node: null,
  pauseMessage: null,
  ...over,
});

describe('badgeText', () => {
  it('says the state alone when the server names no node', () => {
    expect(badgeText(status({}))).toEqual({ label: 'Live', title: 'Prices are streaming' });
    expect(badgeText(status({ state: 'stale', stale: 'AAPL' }))).toEqual({
      label: 'Stale',
      title: 'A usually busy symbol has not updated for a while: AAPL',
    });
  });

  it('adds the serving node to the label and the title', () => {
    expect(badgeText(status({ node: 'node-2' }))).toEqual({
      label: 'Live · node-2',
      title: 'Prices are streaming (served by node-2)',
    });
    expect(badgeText(status({ state: 'resumed', node: 'node-3' })).label).toBe('Resumed · node-3');
  });

  it("reads paused, with the server's message as the title", () => {
    expect(
      badgeText(status({ state: 'paused', pauseMessage: 'The feed is moving.', node: 'n1' })),
    ).toEqual({ label: 'Paused · n1', title: 'The feed is moving. (served by n1)' });
    expect(badgeText(status({ state: 'paused' })).title).toMatch(/connection is up/);
  });

  it('shortens a long node name in the label only', () => {
    const node = 'tickerboard-node-eu-west-1a-0123456789';
    const { label, title } = badgeText(status({ node }));
    expect(label).toBe('Live · tickerboard-node-eu-wes…');
    expect(title).toContain(node);
  });
});
