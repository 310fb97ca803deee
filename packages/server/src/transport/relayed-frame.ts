/**
 * The frame that relays a validated `description` or `candidate` to its
 * addressee, cut from the text the sender sent instead of serializing the
 * parsed message again: re-serializing a ~1.5 KB offer was about a tenth of
 * the server's CPU per relayed message.
 *
 * Our client sends `{"type":T,"seq":N,"ack":A,"to":TO,"T":VALUE}` (`seq` and
 * `ack` only on numbered messages, `ack` once it has something to
 * acknowledge). When a frame starts with exactly that head and ends with `}`,
 * the relayed frame is `{"type":T,"T":VALUE,"from":FROM}`. The frame already
 * parsed and passed the strict schema, so whatever follows VALUE can only be
 * repeats of the client's own keys, of which JSON.parse keeps the last:
 * - a repeated `T` is the value the server validated, the one the receiver keeps;
 * - a repeated `seq` is overridden by the server's number, which goes last (Session.deliver);
 * - a repeated `to` or `ack` is a key no server message has, so the receiver's
 *   strict schema drops the frame: the sender can only spoil its own message.
 * Returns undefined for any other layout (the slow path).
 */
export function relayedFrame(frame: string, type: 'description' | 'candidate', msg: { to: string; seq?: number; ack?: number }, from: string): string | undefined {
  const numbering = (msg.seq === undefined ? '' : `,"seq":${msg.seq}`) + (msg.ack === undefined ? '' : `,"ack":${msg.ack}`);
  const head = `{"type":"${type}"${numbering},"to":"${msg.to}","${type}":`;
  if (!frame.startsWith(head) || frame.charCodeAt(frame.length - 1) !== CLOSING_BRACE) return undefined;
  return `{"type":"${type}","${type}":${frame.slice(head.length, -1)},"from":"${from}"}`;
}

const CLOSING_BRACE = 0x7d;
