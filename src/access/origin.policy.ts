// Which web pages may call the API and open sockets: the Origin header a browser sends names the
// page's site. Requests without one (curl, servers, socket.io-client in Node) are not browsers'
// and pass: the check protects a visitor's browser from being used by another site.

import { ForbiddenError } from '../common/errors';

const LOOPBACK = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export class OriginPolicy {
  private readonly listed: ReadonlySet<string>;
  private readonly any: boolean;

  /** `allowed` empty: the server's own origin and localhost; `*` allows every origin. */
  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.listed = new Set(allowed.filter((o) => o !== '*'));
  }

  /**
   * Whether a request from `origin` to a server reached as `host` (its Host header) is allowed.
   * The server's own origin always is (its own dashboard, whichever name it is reached by).
   */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.any) return true;
    if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
    if (this.listed.size > 0) return this.listed.has(origin);
    return LOOPBACK.test(origin);
  }

  /** The refusal of a request from `origin`, naming what is allowed. */
  refusal(origin: string): ForbiddenError {
    return new ForbiddenError(
      `Origin ${origin.slice(0, 200)} is not allowed: ALLOWED_ORIGINS lists ${this.describe()}`,
    );
  }

  describe(): string {
    if (this.any) return 'any origin';
    if (this.listed.size > 0) return `the server's own origin and ${[...this.listed].join(', ')}`;
    return `the server's own origin and http(s)://localhost, 127.0.0.1 or [::1] on any port`;
  }
}
