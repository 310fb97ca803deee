import { encodeQr, qrSideWithQuietZone, qrSvgPath } from '@videoapp/qr-code';

const SVG = 'http://www.w3.org/2000/svg';

/** The text as a QR code drawn in SVG (dark on white, quiet zone included), made here: no outside service sees the link. */
export function qrImage(text: string, label: string): SVGSVGElement {
  const code = encodeQr(text);
  const side = qrSideWithQuietZone(code);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${side} ${side}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('class', 'qr');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(side));
  background.setAttribute('height', String(side));
  background.setAttribute('fill', '#fff');
  const modules = document.createElementNS(SVG, 'path');
  modules.setAttribute('d', qrSvgPath(code));
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  return svg;
}
