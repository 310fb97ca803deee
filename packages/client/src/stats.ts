/** The figures a person (or a test) cares about, read from one link's WebRTC statistics. */
export interface LinkStats {
  /** Round-trip time of the selected candidate pair, in ms. */
  rttMs: number | undefined;
  /** Share of inbound packets lost, 0..1, over the whole call. */
  loss: number;
  /** What the congestion controller thinks we may send, in kbit/s. */
  availableKbps: number | undefined;
  /** What the congestion controller thinks can reach us, in kbit/s (where the browser reports it). */
  availableIncomingKbps: number | undefined;
  videoFramesDecoded: number;
  videoWidth: number | undefined;
  videoHeight: number | undefined;
  framesPerSecond: number | undefined;
  audioPacketsReceived: number;
  /** Inbound packets received and lost so far, audio and video together: differences between two readings give recent loss. */
  packetsReceived: number;
  packetsLost: number;
  /** `host`, `srflx`, `prflx` or `relay`: how the media actually travels. */
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
}

type Stat = Record<string, unknown> & { type: string; id: string };

export function summarizeStats(report: RTCStatsReport): LinkStats {
  const stats = [...(report as unknown as Map<string, Stat>).values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const inbound = (kind: string) => stats.filter((s) => s.type === 'inbound-rtp' && s.kind === kind);
  const video = inbound('video');
  const audio = inbound('audio');
  const sum = (list: Stat[], key: string) => list.reduce((n, s) => n + (typeof s[key] === 'number' ? (s[key] as number) : 0), 0);
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair =
    (transport && byId.get(transport.selectedCandidatePairId as string)) ??
    stats.find((s) => s.type === 'candidate-pair' && (s.selected === true || (s.nominated === true && s.state === 'succeeded')));
  const received = sum([...video, ...audio], 'packetsReceived');
  const lost = sum([...video, ...audio], 'packetsLost');
  const mainVideo = video.sort((a, b) => sum([b], 'framesDecoded') - sum([a], 'framesDecoded'))[0];
  const num = (s: Stat | undefined, key: string) => (typeof s?.[key] === 'number' ? (s[key] as number) : undefined);
  const rtt = num(pair, 'currentRoundTripTime');
  const bitrate = num(pair, 'availableOutgoingBitrate');
  const incoming = num(pair, 'availableIncomingBitrate');
  return {
    rttMs: rtt === undefined ? undefined : rtt * 1000,
    loss: received + lost > 0 ? lost / (received + lost) : 0,
    availableKbps: bitrate === undefined ? undefined : bitrate / 1000,
    availableIncomingKbps: incoming === undefined ? undefined : incoming / 1000,
    videoFramesDecoded: sum(video, 'framesDecoded'),
    videoWidth: num(mainVideo, 'frameWidth'),
    videoHeight: num(mainVideo, 'frameHeight'),
    framesPerSecond: num(mainVideo, 'framesPerSecond'),
    audioPacketsReceived: sum(audio, 'packetsReceived'),
    packetsReceived: received,
    packetsLost: lost,
    localCandidateType: byId.get(pair?.localCandidateId as string)?.candidateType as string | undefined,
    remoteCandidateType: byId.get(pair?.remoteCandidateId as string)?.candidateType as string | undefined,
  };
}
