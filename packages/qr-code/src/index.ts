export type { ErrorCorrectionLevel } from './capacity.ts';
export { encodeQr, type QrCode, QrTooLongError, QUIET_ZONE_MODULES } from './qr-code.ts';
export { qrSideWithQuietZone, qrSvgPath } from './svg-path.ts';
