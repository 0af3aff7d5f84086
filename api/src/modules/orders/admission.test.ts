import { describe, expect, it } from 'vitest';
import { Admission, isOrderPathDocument } from './admission.js';
import { DomainError } from '../../errors.js';

/** An admission on a clock the test moves. */
function admissionAt(options: { minInFlight: number; targetMs: number }) {
  const clock = { t: 0 };
  const refused: string[] = [];
  const a = new Admission({ ...options, now: () => clock.t, onRefused: (r) => refused.push(r) });
  return { a, clock, refused };
}

const admit = (a: Admission) => {
  const v = a.enter();
  if ('refusal' in v) throw v.refusal;
  return v.release;
};

describe('admission control', () => {
  it('admits a burst of any size while nothing has waited longer than the target', () => {
    const { a } = admissionAt({ minInFlight: 4, targetMs: 50 });
    const releases = Array.from({ length: 100 }, () => admit(a));
    expect(a.admitted).toBe(100);
    releases.forEach((r) => r());
    expect(a.admitted).toBe(0);
  });

  it('refuses with SERVICE_UNAVAILABLE/OVERLOADED and a retry hint once a full system holds an order older than the target', () => {
    const { a, clock, refused } = admissionAt({ minInFlight: 4, targetMs: 50 });
    for (let i = 0; i < 4; i++) admit(a);
    clock.t = 51;
    const v = a.enter();
    expect('refusal' in v).toBe(true);
    const e = (v as { refusal: DomainError }).refusal;
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'OVERLOADED' });
    expect(e.retryAfterMs).toBeGreaterThanOrEqual(10);
    expect(e.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(e.message).toMatch(/Retry in \d+ ms/);
    expect(refused).toEqual(['OVERLOADED']);
  });

  it('admits again as soon as the oldest order is answered', () => {
    const { a, clock } = admissionAt({ minInFlight: 2, targetMs: 50 });
    const first = admit(a);
    admit(a);
    clock.t = 100;
    expect('refusal' in a.enter()).toBe(true);
    first();
    expect('release' in a.enter()).toBe(true);
  });

  it('raises the limit with the answered rate (Little’s law), never below the floor', () => {
    const { a, clock } = admissionAt({ minInFlight: 8, targetMs: 50 });
    expect(a.limit).toBe(8);
    // 1,000 answered in 500 ms: 2 per ms × 50 ms = 100 in the system.
    for (let i = 0; i < 1000; i++) admit(a)();
    clock.t = 500;
    expect(a.limit).toBe(100);
    // Quiet for long: back to the floor.
    clock.t = 5000;
    expect(a.limit).toBe(8);
  });

  it('a release called twice counts once; target 0 disables refusals', () => {
    const { a, clock } = admissionAt({ minInFlight: 1, targetMs: 0 });
    const r = admit(a);
    r();
    r();
    expect(a.admitted).toBe(0);
    admit(a);
    admit(a);
    clock.t = 10_000;
    expect('release' in a.enter()).toBe(true);
  });

  it('concerns order-path mutations only', () => {
    expect(isOrderPathDocument('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }')).toBe(true);
    expect(isOrderPathDocument('mutation { cancelOrder(id: "1") { id } }')).toBe(true);
    expect(isOrderPathDocument('{ amendOrder(id: "1", quantity: 2) { id } }')).toBe(true);
    expect(isOrderPathDocument('query { myOrders { nodes { id } } }')).toBe(false);
    expect(isOrderPathDocument('mutation { login(username: "a", password: "b") { token } }')).toBe(false);
    expect(isOrderPathDocument(undefined)).toBe(false);
  });
});
