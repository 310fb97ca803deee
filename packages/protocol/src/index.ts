export * from './errors.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './peer-messages.ts';
export * from './room-id.ts';
export { parse, type Infer, type ParseResult, type Schema } from './schema.ts';
export { assertNever } from './assert-never.ts';
