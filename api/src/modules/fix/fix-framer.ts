import { Transform, type TransformCallback } from 'node:stream';

/** What the framer found in the bytes received so far. */
export type FrameEvent =
  /** One whole message: BodyLength and CheckSum verified, MsgType (35) third. */
  | { readonly type: 'frame'; readonly bytes: Buffer }
  /** Bytes skipped: junk between messages, or a message whose BodyLength or CheckSum is wrong. */
  | { readonly type: 'garbled'; readonly reason: string; readonly skipped: number }
  /** A message announced (or accumulated) beyond the size limit; nothing more is framed. */
  | { readonly type: 'oversize'; readonly bytes: number };

const SOH = 0x01;
/** Every FIX message starts with BeginString: `8=FIX.4.4`, `8=FIXT.1.1`, ... */
const START = Buffer.from('8=FIX');
/** `10=nnn<SOH>`. */
const CHECKSUM_FIELD_LENGTH = 7;
/** BeginString values are short; a header without its SOH within this many bytes is not FIX. */
const MAX_HEADER_FIELD = 32;

/**
 * Splits a FIX byte stream into messages the way the FIX session layer asks: a message is
 * `8=...<SOH>9=<BodyLength><SOH>35=...<SOH>...10=<CheckSum><SOH>` where BodyLength counts the
 * bytes from MsgType to the CheckSum field and CheckSum is their sum modulo 256. Anything else is
 * garbled and skipped (the FIX rule: ignore it, without a Reject and without counting its
 * MsgSeqNum), resuming at the next `8=FIX`. A message longer than `maxMessageBytes` is oversize:
 * framing stops, and the connection should close. Pure: bytes in, events out.
 */
export class FixFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private stopped = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Adds received bytes; returns the events they complete, in order. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.stopped) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: FrameEvent[] = [];
    for (let e = this.next(); e; e = this.next()) {
      events.push(e);
      if (e.type === 'oversize') {
        this.stopped = true;
        this.buffer = Buffer.alloc(0);
        break;
      }
    }
    return events;
  }

  private skip(count: number, reason: string): FrameEvent {
    this.buffer = this.buffer.subarray(count);
    return { type: 'garbled', reason, skipped: count };
  }

  private next(): FrameEvent | undefined {
    const buf = this.buffer;
    if (buf.length === 0) return undefined;
    const start = buf.indexOf(START);
    if (start < 0) {
      // Keep a tail that may be the beginning of the next "8=FIX".
      let k = Math.min(buf.length, START.length - 1);
      while (k > 0 && !buf.subarray(buf.length - k).equals(START.subarray(0, k))) k--;
      return buf.length - k > 0 ? this.skip(buf.length - k, 'bytes outside a message') : undefined;
    }
    if (start > 0) return this.skip(start, 'bytes outside a message');
    const beginEnd = buf.indexOf(SOH);
    if (beginEnd < 0) return buf.length > MAX_HEADER_FIELD ? this.skip(1, 'BeginString (8) not terminated') : undefined;
    if (beginEnd > MAX_HEADER_FIELD) return this.skip(1, 'BeginString (8) too long');
    // 9=<digits><SOH>
    const lengthStart = beginEnd + 1;
    if (buf.length < lengthStart + 2) return undefined;
    if (buf[lengthStart] !== 0x39 || buf[lengthStart + 1] !== 0x3d) return this.skip(1, 'BodyLength (9) must be the second field');
    let bodyLength = 0;
    let p = lengthStart + 2;
    for (; p < buf.length && buf[p] !== SOH; p++) {
      const d = buf[p]! - 0x30;
      if (d < 0 || d > 9) return this.skip(1, 'BodyLength (9) is not a number');
      bodyLength = bodyLength * 10 + d;
      if (p - lengthStart > 12 || p + 1 + bodyLength + CHECKSUM_FIELD_LENGTH > this.maxMessageBytes) {
        return { type: 'oversize', bytes: p + 1 + bodyLength + CHECKSUM_FIELD_LENGTH };
      }
    }
    if (p >= buf.length) return undefined;
    if (p === lengthStart + 2) return this.skip(1, 'BodyLength (9) is empty');
    const bodyStart = p + 1;
    const bodyEnd = bodyStart + bodyLength;
    const total = bodyEnd + CHECKSUM_FIELD_LENGTH;
    if (total > this.maxMessageBytes) return { type: 'oversize', bytes: total };
    if (buf.length < total) return undefined;
    if (bodyLength < 5 || buf[bodyEnd - 1] !== SOH || buf.toString('latin1', bodyEnd, bodyEnd + 3) !== '10=' || buf[total - 1] !== SOH) {
      return this.skip(1, 'BodyLength (9) does not end at the CheckSum (10)');
    }
    if (buf.toString('latin1', bodyStart, bodyStart + 3) !== '35=') return this.skip(1, 'MsgType (35) must be the third field');
    const declared = buf.toString('latin1', bodyEnd + 3, total - 1);
    let sum = 0;
    for (let i = 0; i < bodyEnd; i++) sum += buf[i]!;
    if (!/^\d{3}$/.test(declared) || Number(declared) !== sum % 256) return this.skip(1, 'CheckSum (10) is wrong');
    const frame = Buffer.from(buf.subarray(0, total));
    this.buffer = buf.subarray(total);
    return { type: 'frame', bytes: frame };
  }
}

/**
 * A {@link FixFramer} as a stream: whole, verified messages come out (what jspurefix's parser
 * reads); garbled input is reported as a `garbled` event ({@link FrameEvent}) and an oversize
 * message as an `oversize` event, after which nothing more comes out.
 */
export class FramingStream extends Transform {
  private readonly framer: FixFramer;

  constructor(maxMessageBytes: number) {
    super();
    this.framer = new FixFramer(maxMessageBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    for (const e of this.framer.push(chunk)) {
      if (e.type === 'frame') this.push(e.bytes);
      else this.emit(e.type, e);
    }
    done();
  }
}
