/**
 * The floor for signaling: the least a JSON relay over `ws` can do. A client
 * connects with `?id=…`; each message names its addressee in `to`. The relay
 * parses the frame, swaps `to` for `from`, re-serializes it and sends it on.
 * No validation, no rate limit, no rooms, no heartbeat, no metrics.
 *
 * `rawForward` skips JSON altogether (the addressee is fixed at connect time
 * by `?to=…`): it is not a fair competitor, only a check that the load
 * generator can drive a server faster than the floor it measures.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export async function startBareRelay(options: { rawForward: boolean }): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  const clients = new Map<string, WebSocket>();
  wss.on('connection', (ws, req) => {
    const query = new URL(req.url ?? '/', 'http://relay').searchParams;
    const id = query.get('id') ?? '';
    const fixedTo = query.get('to') ?? '';
    clients.set(id, ws);
    ws.on('close', () => clients.delete(id));
    ws.on('error', () => ws.terminate());
    if (options.rawForward) {
      ws.on('message', (data, isBinary) => clients.get(fixedTo)?.send(data, { binary: isBinary }));
      return;
    }
    ws.on('message', (data) => {
      let message: { to?: unknown; from?: string };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      const target = typeof message.to === 'string' ? clients.get(message.to) : undefined;
      if (!target) return;
      delete message.to;
      message.from = id;
      target.send(JSON.stringify(message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}
