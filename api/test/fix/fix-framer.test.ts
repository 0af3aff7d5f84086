import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FixFramer, type FrameEvent } from '../../src/modules/fix/fix-framer.js';

const SOH = '\x01';

/** A well-formed FIX message with `fields` after MsgType. */
function message(msgType: string, fields: readonly string[], beginString = 'FIX.4.4'): string {
  const body = [`35=${msgType}`, ...fields].map((f) => `${f}${SOH}`).join('');
  const head = `8=${beginString}${SOH}9=${Buffer.byteLength(body, 'latin1')}${SOH}`;
  const sum = [...Buffer.from(head + body, 'latin1')].reduce((a, b) => a + b, 0) % 256;
  return `${head}${body}10=${String(sum).padStart(3, '0')}${SOH}`;
}

function feed(framer: FixFramer, text: string, cuts: readonly number[] = []): FrameEvent[] {
  const bytes = Buffer.from(text, 'latin1');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const events: FrameEvent[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) events.push(...framer.push(bytes.subarray(from, p)));
    from = Math.max(from, p);
  }
  return events;
}

const frames = (events: readonly FrameEvent[]) => events.flatMap((e) => (e.type === 'frame' ? [e.bytes.toString('latin1')] : []));

describe('FixFramer', () => {
  it('yields each message whole, however the bytes are cut', () => {
    const a = message('A', ['49=X', '56=Y', '34=1', '108=30']);
    const b = message('0', ['49=X', '56=Y', '34=2']);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        expect(frames(feed(new FixFramer(4096), a + b, cuts))).toEqual([a, b]);
      }),
    );
  });

  it('skips junk and garbled messages and keeps every good one, in order', () => {
    const good = fc
      .array(fc.stringMatching(/^[A-Za-z0-9 ]{0,20}$/), { maxLength: 4 })
      .map((texts) => message('1', ['49=X', '56=Y', '34=7', ...texts.map((t) => `58=${t}`)]));
    const piece = fc.oneof(
      good.map((m) => ({ m, keep: true })),
      good.map((m) => ({ m: m.replace(/10=(\d{3})/, (_, d: string) => `10=${String((Number(d) + 1) % 256).padStart(3, '0')}`), keep: false })),
      good.map((m) => ({ m: m.replace(/9=(\d+)/, (_, d: string) => `9=${Number(d) - 2}`), keep: false })),
      fc.stringMatching(/^[a-z0-9= ]{1,12}$/).map((m) => ({ m, keep: false })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), good, fc.array(fc.nat(), { maxLength: 6 }), (pieces, last, cuts) => {
        // A message always ends the stream: a garbled BodyLength waits for bytes until one arrives.
        const text = pieces.map((p) => p.m).join('') + last;
        const expected = [...pieces.filter((p) => p.keep).map((p) => p.m), last];
        expect(frames(feed(new FixFramer(4096), text, cuts))).toEqual(expected);
      }),
    );
  });

  it('reports a wrong CheckSum as garbled', () => {
    const m = message('0', ['34=1']).replace(/10=\d{3}/, '10=999');
    expect(feed(new FixFramer(4096), m).map((e) => e.type)).not.toContain('frame');
    expect(feed(new FixFramer(4096), m).some((e) => e.type === 'garbled')).toBe(true);
  });

  it('stops at a message announced above the limit', () => {
    const framer = new FixFramer(100);
    const events = feed(framer, `8=FIX.4.4${SOH}9=5000${SOH}35=D${SOH}`);
    expect(events).toEqual([{ type: 'oversize', bytes: expect.any(Number) }]);
    expect(framer.push(Buffer.from(message('0', ['34=1']), 'latin1'))).toEqual([]);
  });

  it('frames a message of another FIX version (the session refuses it)', () => {
    const m = message('A', ['34=1'], 'FIX.4.2');
    expect(frames(feed(new FixFramer(4096), m))).toEqual([m]);
  });
});
