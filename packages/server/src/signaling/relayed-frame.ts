/**
 * The frame that relays a validated `description` or `candidate` to its
 * addressee, cut from the text the sender sent instead of serializing the
 * parsed message again: re-serializing a ~1.5 KB offer was about a tenth of
 * the server's CPU per relayed message.
 *
 * Our client sends `{"type":T,"seq":N,"to":TO,"T":VALUE}` (`"seq":N,` only on
 * numbered messages). When a frame starts with exactly that head and ends with
 * `}`, the relayed frame is the same text with the head swapped for
 * `{"type":T,"from":FROM,"T":`. The frame already parsed and passed the strict
 * schema, so the rest is VALUE plus, at most, repeats of the keys, of which
 * JSON.parse keeps the last (the one we validated). A repeated `to` or `seq`
 * would reach the receiver as a field it does not know or a wrong number, so
 * a frame holding either past its head takes the slow path, as does any other
 * layout. Returns undefined for the slow path.
 */
export function relayedFrame(frame: string, type: 'description' | 'candidate', msg: { to: string; seq?: number }, from: string): string | undefined {
  const head = msg.seq === undefined ? `{"type":"${type}","to":"${msg.to}","${type}":` : `{"type":"${type}","seq":${msg.seq},"to":"${msg.to}","${type}":`;
  if (!frame.startsWith(head) || frame.charCodeAt(frame.length - 1) !== CLOSING_BRACE) return undefined;
  if (frame.includes('"to"', head.length) || frame.includes('"seq"', head.length)) return undefined;
  return `{"type":"${type}","from":"${from}","${type}":${frame.slice(head.length)}`;
}

const CLOSING_BRACE = 0x7d;
