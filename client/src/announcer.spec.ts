import { Announcer } from './announcer';

describe('Announcer', () => {
  it("leaves paused to the message bar's announcement of the server's reason", () => {
    const region = { textContent: '' } as HTMLElement;
    const sut = new Announcer(region);
    sut.connection('paused');
    expect(region.textContent).toBe('');
    sut.connection('live');
    expect(region.textContent).toBe('Live prices.');
    sut.stop();
  });
});
