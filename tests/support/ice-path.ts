import type { Page } from 'playwright-core';

export interface CandidateView {
  id: string;
  type: string;
  address: string;
  port: number;
  protocol: string;
  /** For relay candidates: how this browser reaches the TURN server (udp, tcp, tls). */
  relayProtocol: string | undefined;
}

export interface IcePath {
  /** The candidate pair carrying media now, from the transport's `selectedCandidatePairId`. */
  local: CandidateView | undefined;
  remote: CandidateView | undefined;
  /** Every address the other side has revealed to this page, selected or not. */
  remoteAddresses: string[];
  iceServerUsernames: string[];
}

/** The live ICE path of the page's (first open) peer connection, read from getStats. */
export function icePath(page: Page): Promise<IcePath> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __callPcs: () => RTCPeerConnection[] }).__callPcs()[0];
    const empty = { local: undefined, remote: undefined, remoteAddresses: [] as string[], iceServerUsernames: [] as string[] };
    if (!pc) return empty;
    const stats = new Map<string, Record<string, unknown>>();
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      stats.set(s.id as string, s);
    });
    // No named helpers in here: the test runner's transpiler would wrap them in a function the page lacks.
    const candidates = new Map<string, CandidateView>();
    for (const c of stats.values()) {
      if (c.type !== 'local-candidate' && c.type !== 'remote-candidate') continue;
      candidates.set(c.id as string, {
        id: c.id as string,
        type: c.candidateType as string,
        address: (c.address ?? c.ip) as string,
        port: c.port as number,
        protocol: c.protocol as string,
        relayProtocol: c.relayProtocol as string | undefined,
      });
    }
    const transport = [...stats.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = transport && stats.get(transport.selectedCandidatePairId as string);
    return {
      local: pair && candidates.get(pair.localCandidateId as string),
      remote: pair && candidates.get(pair.remoteCandidateId as string),
      remoteAddresses: [...stats.values()].filter((s) => s.type === 'remote-candidate').map((s) => (s.address ?? s.ip) as string),
      iceServerUsernames: pc.getConfiguration().iceServers?.map((s) => s.username ?? '') ?? [],
    };
  });
}
