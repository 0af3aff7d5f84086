import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SocketBudgets, isRefusal, type Reservation, type SocketLimits } from '../../src/modules/realtime/socket-budgets.js';
import { addressBucket } from '../../src/graphql/client-address.js';

const LIMITS: SocketLimits = {
  connectionsPerAddress: 3,
  connections: 5,
  operationsPerAddress: 4,
  operations: 7,
  documentsPerAddress: 2,
  documents: 3,
  documentChars: 12,
  documentComplexity: 10,
};

describe('socket budgets', () => {
  it('refuses the socket beyond the per-address budget, then the process budget', () => {
    const b = new SocketBudgets(LIMITS);
    for (let i = 0; i < 3; i++) expect(b.openSocket('a')).toBeUndefined();
    expect(b.openSocket('a')).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'TOO_MANY_CONNECTIONS_FROM_ADDRESS' });
    expect(b.openSocket('b')).toBeUndefined();
    expect(b.openSocket('c')).toBeUndefined();
    expect(b.openSocket('d')).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'CONNECTION_CAPACITY' });
    b.closeSocket('a');
    expect(b.openSocket('d')).toBeUndefined();
  });

  it('counts a query text once per address however many operations use it', () => {
    const b = new SocketBudgets(LIMITS);
    const held = ['q1', 'q1', 'q2', 'q2'].map((t) => b.reserve('a', t));
    expect(held.some(isRefusal)).toBe(false);
    expect(b.reserve('a', 'q1')).toMatchObject({ reason: 'TOO_MANY_SUBSCRIPTIONS_FROM_ADDRESS' });
    b.release(held[0] as Reservation);
    expect(b.reserve('a', 'q3')).toMatchObject({ reason: 'TOO_MANY_DOCUMENTS_FROM_ADDRESS' });
    expect(b.usage()).toMatchObject({ operations: 3, documents: 2, documentChars: 4 });
  });

  it('refuses a new text when the process holds its documents or characters', () => {
    const b = new SocketBudgets(LIMITS);
    expect(isRefusal(b.reserve('a', 'aaaaa'))).toBe(false);
    expect(isRefusal(b.reserve('b', 'bbbbb'))).toBe(false);
    expect(b.reserve('c', 'ccc')).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'DOCUMENT_CAPACITY' });
    // A text the process already holds costs nothing more.
    expect(isRefusal(b.reserve('c', 'aaaaa'))).toBe(false);
  });

  it('admits a text’s complexity once while it is in use, and refuses what would pass the process budget', () => {
    const b = new SocketBudgets(LIMITS);
    const r1 = b.reserve('a', 'x') as Reservation;
    expect(b.weigh(r1, 6)).toBeUndefined();
    const again = b.reserve('b', 'x') as Reservation;
    expect(b.weigh(again, 6)).toBeUndefined();
    const r2 = b.reserve('b', 'y') as Reservation;
    expect(b.weigh(r2, 5)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'DOCUMENT_CAPACITY' });
    b.release(r2);
    expect(b.usage().documentComplexity).toBe(6);
    b.release(r1);
    expect(b.usage().documentComplexity).toBe(6);
    b.release(again);
    const r3 = b.reserve('b', 'y') as Reservation;
    expect(b.weigh(r3, 10)).toBeUndefined();
  });

  it('says when a text is no longer used, once per reservation', () => {
    const b = new SocketBudgets(LIMITS);
    const r1 = b.reserve('a', 'q') as Reservation;
    const r2 = b.reserve('b', 'q') as Reservation;
    expect(b.release(r1)).toBe(false);
    expect(b.release(r1)).toBe(false);
    expect(b.release(r2)).toBe(true);
    expect(b.usage()).toEqual({ sockets: 0, operations: 0, documents: 0, documentChars: 0, documentComplexity: 0, addresses: 0 });
  });

  it('never exceeds a limit and returns to empty, whatever the order of opens, reserves and releases', () => {
    type Step = { kind: 'open'; address: number } | { kind: 'close'; address: number } | { kind: 'reserve'; address: number; text: number } | { kind: 'release'; index: number };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('open' as const), address: fc.nat(3) }),
      fc.record({ kind: fc.constant('close' as const), address: fc.nat(3) }),
      fc.record({ kind: fc.constant('reserve' as const), address: fc.nat(3), text: fc.nat(5) }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat(20) }),
    );
    fc.assert(
      fc.property(fc.array(step as fc.Arbitrary<Step>, { maxLength: 80 }), (steps) => {
        const b = new SocketBudgets(LIMITS);
        const open = new Map<string, number>();
        const held: Reservation[] = [];
        for (const s of steps) {
          if (s.kind === 'open') {
            if (b.openSocket(`a${s.address}`) === undefined) open.set(`a${s.address}`, (open.get(`a${s.address}`) ?? 0) + 1);
          } else if (s.kind === 'close') {
            if ((open.get(`a${s.address}`) ?? 0) > 0) {
              b.closeSocket(`a${s.address}`);
              open.set(`a${s.address}`, open.get(`a${s.address}`)! - 1);
            }
          } else if (s.kind === 'reserve') {
            const r = b.reserve(`a${s.address}`, `text-${s.text}`);
            if (!isRefusal(r)) held.push(r);
          } else if (held.length > 0) {
            b.release(held.splice(s.index % held.length, 1)[0]!);
          }
          // The model: what is held, by address and in all.
          const perAddress = new Map<string, Reservation[]>();
          for (const r of held) perAddress.set(r.bucket, [...(perAddress.get(r.bucket) ?? []), r]);
          const texts = new Set(held.map((r) => r.text));
          const u = b.usage();
          expect(u.operations).toBe(held.length);
          expect(u.documents).toBe(texts.size);
          expect(u.documentChars).toBe([...texts].reduce((n, t) => n + t.length, 0));
          expect(u.sockets).toBe([...open.values()].reduce((n, v) => n + v, 0));
          expect(u.operations).toBeLessThanOrEqual(LIMITS.operations);
          expect(u.documents).toBeLessThanOrEqual(LIMITS.documents);
          expect(u.documentChars).toBeLessThanOrEqual(LIMITS.documentChars);
          expect(u.sockets).toBeLessThanOrEqual(LIMITS.connections);
          for (const rs of perAddress.values()) {
            expect(rs.length).toBeLessThanOrEqual(LIMITS.operationsPerAddress);
            expect(new Set(rs.map((r) => r.text)).size).toBeLessThanOrEqual(LIMITS.documentsPerAddress);
          }
          for (const n of open.values()) expect(n).toBeLessThanOrEqual(LIMITS.connectionsPerAddress);
        }
        for (const r of held) b.release(r);
        for (const [a, n] of open) for (let i = 0; i < n; i++) b.closeSocket(a);
        expect(b.usage()).toEqual({ sockets: 0, operations: 0, documents: 0, documentChars: 0, documentComplexity: 0, addresses: 0 });
      }),
    );
  });
});

describe('address buckets', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1%eth0', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });

  it('puts every address of one /64 in one bucket and the next /64 in another', () => {
    expect(addressBucket('2001:db8:aa:bb:1::')).toBe(addressBucket('2001:db8:aa:bb:ffff:ffff:ffff:ffff'));
    expect(addressBucket('2001:db8:aa:bb::')).not.toBe(addressBucket('2001:db8:aa:bc::'));
  });
});
