import Janode, { type Connection } from 'janode';
import VideoRoomPlugin, { type VideoRoomHandle } from 'janode/plugins/videoroom';
import type { JanusOptions } from '../../scripts/janus-server.ts';

Janode.Logger.setLevel('none');

/** The VideoRoom rooms a test's Janus holds, asked directly (with the admin key, which lists private rooms too). */
export async function roomsInJanus(options: JanusOptions): Promise<{ room: number; num_participants: number }[]> {
  const connection: Connection = await Janode.connect({ address: { url: `ws://127.0.0.1:${options.wsPort}`, apisecret: options.apiSecret }, max_retries: 0 });
  try {
    const session = await connection.create();
    const handle = await session.attach<VideoRoomHandle>(VideoRoomPlugin);
    const { list } = await handle.list({ admin_key: options.adminKey });
    await session.destroy();
    return list;
  } finally {
    await connection.close();
  }
}
