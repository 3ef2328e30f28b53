// The bytes a Socket.IO packet takes on a WebSocket connection, built once and shared by every
// socket that sends the same packet: a final, unmasked text frame (RFC 6455, section 5.2) whose
// payload is an Engine.IO message packet ('4' followed by the Socket.IO packet).
//
// The result is a string of byte values (latin1), so that writing it is one latin1 string write
// to the TCP socket with no Buffer per socket. The packet must be ASCII: FanOut only frames parts
// it checked.

/** The WebSocket frame carrying `packet` as an Engine.IO message, one char per byte. */
export function engineIoWebSocketFrame(packet: string): string {
  const length = packet.length + 1;
  let header: string;
  if (length < 126) {
    header = String.fromCharCode(0x81, length);
  } else if (length < 0x10000) {
    header = String.fromCharCode(0x81, 126, length >>> 8, length & 0xff);
  } else {
    // 64-bit length; a JavaScript string's length fits in the low 32 bits.
    header = String.fromCharCode(
      0x81,
      127,
      0,
      0,
      0,
      0,
      (length >>> 24) & 0xff,
      (length >>> 16) & 0xff,
      (length >>> 8) & 0xff,
      length & 0xff,
    );
  }
  return `${header}4${packet}`;
}
