import type { LinkQuality, QualityIssue, QualityLevel } from '@videoapp/client';
import { h, replaceChildren } from '../dom.ts';
import type { RoomPanel } from './room-panels.ts';

const LEVEL_WORDS: Record<QualityLevel, string> = { good: 'Good', fair: 'Fair', poor: 'Poor' };
const ISSUE_WORDS: Record<QualityIssue, string> = {
  'no-media': 'Nothing is arriving from the other side.',
  'high-loss': 'Some of the data is lost on the way.',
  'high-latency': 'The connection is slow to answer: expect some delay.',
  'low-bandwidth': 'There is little bandwidth: video quality is lowered.',
};
const PATH_WORDS: Record<string, string> = { host: 'Direct (same network)', srflx: 'Direct (through the internet)', prflx: 'Direct (through the internet)', relay: 'Relayed by a TURN server' };

/**
 * The connection-quality indicator on the stage (bars and a word) and the
 * panel of figures behind it, both fed by the engine's `quality` events.
 */
export class QualityPanel implements RoomPanel {
  readonly id = 'quality';
  readonly title = 'Connection';
  readonly indicator = h(
    'button',
    { type: 'button', class: 'quality-indicator', 'data-quality': 'unknown', 'aria-label': 'Connection quality: measuring. Show details', hidden: true },
    h('span', { class: 'bars', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
    h('span', { class: 'quality-word' }, '…'),
  );
  private readonly figures = h('dl', { class: 'quality-figures' });
  private readonly advice = h('ul', { class: 'quality-issues' });
  readonly body = h('div', { class: 'panel-body' }, this.figures, this.advice, h('p', { class: 'hint' }, 'Measured every two seconds from the browser’s WebRTC statistics.'));

  constructor() {
    this.show(undefined);
  }

  /** The latest reading, or undefined when no link is connected. */
  show(quality: LinkQuality | undefined): void {
    this.indicator.hidden = !quality;
    const level = quality?.level;
    this.indicator.dataset.quality = level ?? 'unknown';
    this.indicator.setAttribute('aria-label', `Connection quality: ${level ? LEVEL_WORDS[level].toLowerCase() : 'measuring'}. Show details`);
    this.indicator.querySelector('.quality-word')!.textContent = level ? LEVEL_WORDS[level] : '…';
    const q = quality;
    const rows: [string, string, string][] = [
      ['rtt', 'Round trip', q?.rttMs === undefined ? '–' : `${Math.round(q.rttMs)} ms`],
      ['loss', 'Packet loss', q ? `${(q.loss * 100).toFixed(1)} %` : '–'],
      ['bandwidth', 'Available to send', q?.availableKbps === undefined ? '–' : `${Math.round(q.availableKbps)} kbit/s`],
      ['video', 'Video received', q?.videoWidth && q.videoHeight ? `${q.videoWidth}×${q.videoHeight}${q.framesPerSecond ? ` at ${Math.round(q.framesPerSecond)} fps` : ''}` : 'none'],
      ['path', 'Path', q?.path ? (PATH_WORDS[q.path] ?? q.path) : '–'],
    ];
    replaceChildren(this.figures, ...rows.flatMap(([key, label, value]) => [h('dt', {}, label), h('dd', { 'data-figure': key }, value)]));
    replaceChildren(this.advice, ...(q?.issues ?? []).map((issue) => h('li', {}, ISSUE_WORDS[issue])));
  }
}
