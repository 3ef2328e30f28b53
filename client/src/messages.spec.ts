import { ChangeTracker } from './changes';
import { MessageBar } from './messages';

function makeBar() {
  const changes = new ChangeTracker();
  let notified = 0;
  changes.onChange(() => notified++);
  return { sut: new MessageBar(changes), changes, notified: () => notified };
}

describe('MessageBar', () => {
  it('shows one message at a time, its kind following from its id', () => {
    const { sut, changes } = makeBar();
    sut.show('catalog-failed', 'Maintenance (503). Retrying in 2 s.', 'retry');
    expect(sut.current).toEqual({
      id: 'catalog-failed',
      kind: 'error',
      text: 'Maintenance (503). Retrying in 2 s.',
      action: 'retry',
    });
    expect(changes.take().message).toBe(true);
    sut.show('catalog-loading', 'Loading the instrument list…');
    expect(sut.current).toEqual({
      id: 'catalog-loading',
      kind: 'info',
      text: 'Loading the instrument list…',
    });
  });

  it('clears by id, never touching a message about something else', () => {
    const { sut, changes } = makeBar();
    sut.show('synthetic', 'Benchmark mode: synthetic instruments.');
    changes.take();
    sut.clear('conflated', 'stream-failed');
    expect(sut.current?.id).toBe('synthetic');
    expect(changes.take().message).toBe(false);
    sut.clear('synthetic');
    expect(sut.current).toBeNull();
    expect(changes.take().message).toBe(true);
  });

  it('does not redraw for the same message shown again', () => {
    const { sut, notified } = makeBar();
    sut.show('conflated', 'Falling behind.');
    sut.show('conflated', 'Falling behind.');
    expect(notified()).toBe(1);
    sut.show('conflated', 'Falling further behind.');
    expect(notified()).toBe(2);
  });
});
