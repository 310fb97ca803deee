/**
 * Just enough of an RTCPeerConnection for a PeerLink in unit tests: no media,
 * no ICE; the test moves `connectionState` itself. Subclasses report what a
 * browser's getStats would, where a test needs it.
 */
export class FakePeerConnection extends EventTarget {
  connectionState: RTCPeerConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';
  onconnectionstatechange: (() => void) | null = null;
  restarts = 0;
  addTransceiver(trackOrKind: string | { kind: string }) {
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    return { sender: { replaceTrack: async () => {}, getParameters: (): { encodings: RTCRtpEncodingParameters[] } => ({ encodings: [] }) }, receiver: { track: { kind } } };
  }
  createDataChannel() {
    return { readyState: 'connecting', close() {} };
  }
  getTransceivers() {
    return [];
  }
  getConfiguration() {
    return {};
  }
  setConfiguration(): void {}
  /** An offer of our own (a link we open, or a spare): nothing here reads its SDP. */
  async setLocalDescription(): Promise<void> {
    this.signalingState = 'have-local-offer';
  }
  getStats(): Promise<Map<string, unknown>> {
    return Promise.resolve(new Map());
  }
  restartIce(): void {
    this.restarts++;
  }
  close(): void {}
  moveTo(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}
