/**
 * `npm run bench:network-trace`: one 3 s cut on a fresh call, with a timeline of
 * what each side's browser saw (ICE and connection states, signaling socket,
 * bytes and frames received), relative to the restore. For finding which side
 * recovers late, and why; prints, measures nothing against a target.
 *   npm run bench:network-trace -- --switch   Alice's address replaced instead (times from the change)
 *   npm run bench:network-trace -- --cut-ms N   a cut of N ms instead of 3 s
 *   npm run bench:network-trace -- --after-ms N   the fault N ms into the call instead of at once
 */
import type { Page } from 'playwright-core';
import { timeUntilMoving } from '../../tests/support/browsers.ts';
import { NetworkLab } from '../../tests/support/network-lab.ts';

/** How long the link is cut: 3 s, or `--cut-ms N`. */
const CUT_MS = msArgument('--cut-ms') ?? 3_000;
/** How long the call runs before the fault: at once (as the network bench does), or `--after-ms N`. */
const FAULT_AFTER_MS = msArgument('--after-ms') ?? 0;

function msArgument(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  if (at === -1) return undefined;
  const ms = Number(process.argv[at + 1]);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${name} wants a whole number of milliseconds above 0, not ${process.argv[at + 1]}`);
  return ms;
}
const GIVE_UP_MS = 30_000;
/** How often each page samples its connections' statistics. */
const SAMPLE_MS = 100;

interface TraceEntry {
  at: number;
  what: string;
}

/** In the page: logs every state change of every peer connection and signaling socket, and samples inbound statistics. */
function TRACE(sampleMs: number): void {
  const w = window as unknown as { __trace: TraceEntry[]; __pcs: RTCPeerConnection[] };
  w.__trace = [];
  const log = (what: string) => w.__trace.push({ at: Date.now(), what });
  const seen = new WeakSet<RTCPeerConnection>();
  const OriginalSocket = window.WebSocket;
  window.WebSocket = class extends OriginalSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      log('ws new');
      this.addEventListener('open', () => log('ws open'));
      this.addEventListener('close', (e) => log(`ws close ${e.code}`));
      this.addEventListener('message', (e) => {
        const type = /"type":"([^"]+)"/.exec(String(e.data))?.[1];
        if (type !== 'ack') log(`ws in ${type}`);
      });
      const send = this.send.bind(this);
      this.send = (data) => {
        const type = /"type":"([^"]+)"/.exec(String(data))?.[1];
        if (type !== 'ack') log(`ws out ${type}`);
        send(data);
      };
    }
  } as typeof WebSocket;
  let last = '';
  /** Cumulative counters at the last sample, by name: what changed since is their difference. */
  const played: Record<string, { delay: number; count: number }> = {};
  /** The mean (ms) of a cumulative total in seconds over what was counted since the last sample; -1 when nothing was. */
  const meanSinceLast = (key: string, total: number | undefined, counted: number | undefined) => {
    const now = { delay: total ?? 0, count: counted ?? 0 };
    const before = played[key] ?? { delay: 0, count: 0 };
    played[key] = now;
    // A renegotiated receiver counts from zero again.
    const count = now.count >= before.count ? now.count - before.count : now.count;
    const delay = now.count >= before.count ? now.delay - before.delay : now.delay;
    return count > 0 ? Math.round((1000 * delay) / count) : -1;
  };
  /** How long what was played since the last sample waited in the jitter buffer, and (video) how long it was meant to. */
  const delaySinceLast = (s: { kind: string; jitterBufferDelay?: number; jitterBufferTargetDelay?: number; jitterBufferEmittedCount?: number }) => {
    const held = meanSinceLast(s.kind, s.jitterBufferDelay, s.jitterBufferEmittedCount);
    const target = meanSinceLast(`${s.kind}-target`, s.jitterBufferTargetDelay, s.jitterBufferEmittedCount);
    return s.kind === 'video' && held >= 0 ? `${held} (target ${target})` : String(held);
  };
  setInterval(async () => {
    for (const pc of w.__pcs ?? []) {
      if (!seen.has(pc)) {
        seen.add(pc);
        pc.addEventListener('connectionstatechange', () => log(`pc ${pc.connectionState}`));
        pc.addEventListener('iceconnectionstatechange', () => log(`ice ${pc.iceConnectionState}`));
        pc.addEventListener('signalingstatechange', () => log(`sig ${pc.signalingState}`));
        pc.addEventListener('icecandidate', (e) => log(`cand ${e.candidate?.candidate.split(' ').slice(4, 8).join(' ') ?? 'end'}`));
      }
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      let bytes = 0;
      let frames = 0;
      let sentFrames = 0;
      let keysIn = 0;
      let keysOut = 0;
      let received = 0;
      let videoDelay = '-1';
      let audioDelay = '-1';
      let requests = '';
      let rtts = '';
      let sentDetail = '';
      let pair = '';
      report.forEach((s) => {
        if (s.type === 'candidate-pair' && s.nominated) pair += `${s.state}/${s.bytesReceived} `;
        if (s.type === 'candidate-pair') bytes += s.bytesReceived ?? 0;
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          frames = s.framesDecoded ?? 0;
          keysIn = s.keyFramesDecoded ?? 0;
          received = s.framesReceived ?? 0;
          videoDelay = delaySinceLast(s);
          requests = `nack ${s.nackCount ?? 0} pli ${s.pliCount ?? 0}, packets ${s.packetsReceived ?? 0} lost ${s.packetsLost ?? 0}`;
        }
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audioDelay = delaySinceLast(s);
        if (s.type === 'remote-inbound-rtp') {
          const rtt = meanSinceLast(`rtt-${s.kind}`, s.totalRoundTripTime, s.roundTripTimeMeasurements);
          if (rtt >= 0) rtts += `${s.kind} rtt ${rtt} `;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          sentFrames = s.framesSent ?? 0;
          keysOut = s.keyFramesEncoded ?? 0;
          sentDetail = `encoded ${s.framesEncoded ?? 0}, packets ${s.packetsSent ?? 0} resent ${s.retransmittedPacketsSent ?? 0}, asked pli ${s.pliCount ?? 0} nack ${s.nackCount ?? 0}`;
        }
      });
      const line = `bytes ${bytes} received ${received} decoded ${frames} (keys ${keysIn}, ${requests}), held ${videoDelay} ms; audio held ${audioDelay} ms; ${rtts} sent ${sentFrames} (keys ${keysOut}; ${sentDetail}) pairs ${pair}`;
      if (line !== last) {
        last = line;
        log(line);
      }
    }
  }, sampleMs);
}

async function trace(page: Page): Promise<TraceEntry[]> {
  return page.evaluate(() => (window as unknown as { __trace: TraceEntry[] }).__trace);
}

const lab = await NetworkLab.start('vatrace', 4);
try {
  const { alice, bob } = await lab.call(async (context) => {
    await context.addInitScript(TRACE, SAMPLE_MS);
  });
  const addressSwitch = process.argv.includes('--switch');
  await bob.waitForTimeout(FAULT_AFTER_MS);
  const cutAt = Date.now();
  if (addressSwitch) lab.host.changeAddress();
  else {
    lab.host.cut();
    await bob.waitForTimeout(CUT_MS);
    lab.host.restore();
  }
  const restoredAt = Date.now();
  const [a, b] = await Promise.all([timeUntilMoving(alice, GIVE_UP_MS), timeUntilMoving(bob, GIVE_UP_MS)]);
  console.log(`${addressSwitch ? 'address replaced' : `cut at -${restoredAt - cutAt} ms`}; moving after the ${addressSwitch ? 'change' : 'restore'}: Alice ${a} ms, Bob ${b} ms`);
  const [ta, tb] = await Promise.all([trace(alice), trace(bob)]);
  const rows = [...ta.map((e) => ({ ...e, who: 'A' })), ...tb.map((e) => ({ ...e, who: 'B' }))].filter((e) => e.at >= cutAt - 2_500).sort((x, y) => x.at - y.at);
  for (const e of rows) {
    if (e.what.startsWith('bytes') && e.at > restoredAt + (addressSwitch ? 10_000 : 6_000)) continue;
    console.log(`${String(e.at - restoredAt).padStart(7)} ${e.who} ${e.what}`);
  }
} finally {
  await lab.close();
}
process.exit(0);
