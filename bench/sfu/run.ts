/**
 * `npm run bench:sfu`: what group calls through Janus cost, measured in one run
 * on this machine (see forwarding.ts and participant.ts for the methods). Starts its own Janus from
 * Debian's package with the same generated configuration as `npm run start:sfu`.
 *
 *   npm run bench:sfu             the full run (about a minute)
 *   npm run bench:sfu -- --quick  a smoke run (figures not meaningful)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../packages/server/src/log.ts';
import { JanusAdapter } from '../../packages/server/src/sfu/janus.ts';
import { freshJanusSecrets, startJanus } from '../../scripts/janus-server.ts';
import { freePort } from '../../tests/support/free-port.ts';
import { startTestServer } from '../../tests/support/test-server.ts';
import { ratio, round, summarize, table } from '../stats.ts';
import { type ForwardingResult, FULL_FORWARDING_PLAN, QUICK_FORWARDING_PLAN, runForwarding } from './forwarding.ts';
import { FULL_PARTICIPANT_PLAN, type ParticipantResults, QUICK_PARTICIPANT_PLAN, runParticipant } from './participant.ts';

/** Janus's media ports for the bench (it picks free ones inside). */
const RTP_PORTS = { min: 21_000, max: 21_999 };

export interface SfuBenchResults {
  forwarding: ForwardingResult[];
  participant: ParticipantResults;
}

/** Starts a Janus, measures, stops it. */
export async function runSfuBench(quick: boolean, log: (line: string) => void): Promise<SfuBenchResults> {
  const workDir = mkdtempSync(join(tmpdir(), 'videoapp-bench-janus-'));
  const options = { workDir, wsHost: '127.0.0.1', wsPort: await freePort(), rtpPorts: RTP_PORTS, ...freshJanusSecrets() };
  const janus = await startJanus(options);
  const adapter = await JanusAdapter.connect({ url: janus.url, apiSecret: options.apiSecret, adminKey: options.adminKey }, createLogger('warn'));
  try {
    log('Janus CPU per forwarded stream');
    const forwarding = await runForwarding(adapter, janus.pid, quick ? QUICK_FORWARDING_PLAN : FULL_FORWARDING_PLAN, log);
    log('One person in a group call through the SFU vs a 1:1 call');
    const server = await startTestServer({ sfu: { url: janus.url, apiSecret: options.apiSecret, adminKey: options.adminKey } });
    try {
      const participant = await runParticipant(server, quick ? QUICK_PARTICIPANT_PLAN : FULL_PARTICIPANT_PLAN, log);
      return { forwarding, participant };
    } finally {
      await server.close();
    }
  } finally {
    await adapter.close();
    await janus.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** One person's figures, 1:1 against the group, as table rows. */
export function sfuParticipantRows(results: SfuBenchResults): string[][] {
  const { participant: p } = results;
  return [
    ['one person', 'uplink kB/s', 'browser CPU %', 'join → frames ms (median)'],
    ['1:1 (P2P)', round(p.oneToOne.uplinkBytesPerSecond / 1000), round(p.oneToOne.browserCpu * 100), round(summarize(p.joinOneToOne).median)],
    [`${p.groupSize} people (SFU)`, round(p.group.uplinkBytesPerSecond / 1000), round(p.group.browserCpu * 100), round(summarize(p.joinGroup).median)],
  ];
}

/** The ratios, with the targets, as table rows. */
export function sfuRatioRows(results: SfuBenchResults): string[][] {
  const { participant: p } = results;
  const uplink = p.group.uplinkBytesPerSecond / p.oneToOne.uplinkBytesPerSecond;
  const joinGroup = summarize(p.joinGroup).median;
  const joinOne = summarize(p.joinOneToOne).median;
  return [
    ['ratio', 'measured', 'target', 'met'],
    [`uplink of one person: ${p.groupSize} people through the SFU / 1:1`, ratio(p.group.uplinkBytesPerSecond, p.oneToOne.uplinkBytesPerSecond), '≤ 1.5× (a mesh: 5×)', uplink <= 1.5 ? 'yes' : 'NO'],
    [`browser CPU of one person: ${p.groupSize} people through the SFU / 1:1`, ratio(p.group.browserCpu, p.oneToOne.browserCpu), '', ''],
    [`join → first frames: SFU room of ${p.groupSize - 1} / 1:1 P2P (median of ${p.joinGroup.length})`, ratio(joinGroup, joinOne), '', ''],
  ];
}

/** The figures as table rows, for this bench's own output and for `npm run bench`. */
export function sfuTableRows(results: SfuBenchResults): string[][] {
  return [
    ['SFU forwarding (Janus)', 'forwarded streams', 'Janus CPU % (publishers only → all)', 'Janus CPU % / forwarded stream', 'encode CPU % / stream', 'forward / encode', 'kB/s per stream'],
    ...results.forwarding.map((r) => [
      `${r.roomSize} people`,
      String(r.forwardedStreams),
      `${round(r.janusCpuPublishersOnly * 100, 1)} → ${round(r.janusCpuForwarding * 100, 1)}`,
      round(r.janusCpuPerForwardedStream * 100, 2),
      round(r.encodeCpuPerStream * 100, 2),
      ratio(r.janusCpuPerForwardedStream, r.encodeCpuPerStream),
      round(r.forwardedBytesPerStreamPerSecond / 1000, 1),
    ]),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runSfuBench(process.argv.includes('--quick'), (line) => console.log(line));
  console.log('');
  console.log(table(sfuTableRows(results)));
  console.log('');
  console.log(table(sfuParticipantRows(results)));
  console.log('');
  console.log(table(sfuRatioRows(results)));
  // libwebrtc's objects may crash Node as it finalizes them on a natural exit (see tests/support/wrtc-peer.ts).
  process.exit(0);
}
