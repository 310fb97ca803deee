export type { ErrorCorrectionLevel } from './capacity.ts';
export { encodeQr, QrTooLongError, QUIET_ZONE_MODULES, type QrCode } from './qr-code.ts';
export { qrSideWithQuietZone, qrSvgPath } from './svg-path.ts';
