export { assertNever } from './assert-never.ts';
export * from './errors.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './peer-messages.ts';
export * from './room-id.ts';
export { type Infer, type ParseResult, parse, type Schema } from './schema.ts';
