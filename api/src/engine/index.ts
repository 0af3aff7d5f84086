/**
 * The matching engine: pure, deterministic, no I/O. See types.ts for the command/event contract.
 */
export * from './types.js';
export { OrderBook } from './order-book.js';
export { MatchingEngine } from './engine.js';
export { assertBookInvariants } from './invariants.js';
export { Fnv1a64, fnv1a64 } from './state-hash.js';
export { ImageHasher, imageStateHash, imageSize, IMAGE_FIELDS, IMAGE_SELL, IMAGE_DAY, type BookImage } from './book-image.js';
