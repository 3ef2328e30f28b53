// A streaming connection's Socket.IO socket: the typed event maps, and the state it carries.
import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../contracts';
import type { ControlQueue, ControlRateLimit } from './control';
import type { ClientState } from './fan-out';

export interface StreamingSocketData {
  /** The connection as the fan-out engine knows it; set on connection. */
  client: ClientState;
  /** Its control messages, handled one at a time; set on connection. */
  control: ControlQueue;
  /** Its control-message budget; ControlRateGuard sets it on the first control message. */
  controlRate?: ControlRateLimit;
}

export type StreamingSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  StreamingSocketData
>;
