import { describe, expect, it } from 'vitest';
import { buildSchema, parse, type ExecutionArgs } from 'graphql';
import { executeShared, rememberRequest, sharedValue, subscribeShared } from '../../src/modules/realtime/shared.js';

/** A schema whose field resolver counts its calls (one call = one execution of the selection). */
function fixture() {
  const schema = buildSchema('type Update { seq: Int!, label: String! } type Query { ok: Boolean } type Subscription { updates: Update! }');
  let executions = 0;
  const Update = schema.getType('Update') as unknown as { getFields(): Record<string, { resolve?: (u: { seq: number }) => unknown }> };
  Update.getFields().label!.resolve = (u) => {
    executions++;
    return `#${u.seq}`;
  };
  const request = (query = 'subscription { updates { seq label } }', variableValues: Record<string, unknown> = {}): ExecutionArgs => {
    const args: ExecutionArgs = { schema, document: parse(query), variableValues, rootValue: undefined };
    rememberRequest(args, query);
    return args;
  };
  return { schema, request, executions: () => executions };
}

describe('shared fan-out of public updates', () => {
  it('builds a public update once per message and view', () => {
    const msg = { seq: 1 };
    let builds = 0;
    const a = sharedValue(msg, '5:0', () => ({ updates: { seq: ++builds } }));
    const b = sharedValue(msg, '5:0', () => ({ updates: { seq: ++builds } }));
    const c = sharedValue(msg, '10:0', () => ({ updates: { seq: ++builds } }));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(builds).toBe(2);
  });

  it('executes a public update once for every subscriber with the same request', async () => {
    const f = fixture();
    const event = sharedValue({ seq: 7 }, '', () => ({ updates: { seq: 7 } }));
    const results = await Promise.all(Array.from({ length: 50 }, () => executeShared(f.request(), event)));
    expect(results[0]).toEqual({ data: { updates: { seq: 7, label: '#7' } } });
    for (const r of results) expect(r).toBe(results[0]);
    expect(f.executions()).toBe(1);
  });

  it('executes per request when the selections differ', async () => {
    const f = fixture();
    const event = sharedValue({ seq: 8 }, '', () => ({ updates: { seq: 8 } }));
    const one = await executeShared(f.request('subscription { updates { seq label } }'), event);
    const two = await executeShared(f.request('subscription { updates { label } }'), event);
    expect(one.data).toEqual({ updates: { seq: 8, label: '#8' } });
    expect(two.data).toEqual({ updates: { label: '#8' } });
    expect(f.executions()).toBe(2);
  });

  it('executes per subscriber an update that is not public (viewer-dependent)', async () => {
    const f = fixture();
    const event = { updates: { seq: 9 } };
    const [a, b] = [await executeShared(f.request(), event), await executeShared(f.request(), event)];
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(f.executions()).toBe(2);
  });

  it('never shares a result with errors', async () => {
    const f = fixture();
    const event = sharedValue({ seq: 10 }, '', () => ({ updates: null }));
    const a = await executeShared(f.request(), event);
    const b = await executeShared(f.request(), event);
    expect(a.errors?.length).toBe(1);
    expect(b).not.toBe(a);
  });

  it('subscribeShared maps the source stream, and return() ends a pending read at once', async () => {
    const f = fixture();
    const source = (async function* () {
      yield sharedValue({ seq: 1 }, '', () => ({ seq: 1 }));
      await new Promise(() => {}); // a quiet topic
    })();
    f.schema.getSubscriptionType()!.getFields().updates!.subscribe = () => source;
    f.schema.getSubscriptionType()!.getFields().updates!.resolve = (u: unknown) => u;
    const it = (await subscribeShared(f.request())) as AsyncIterableIterator<unknown>;
    expect(await it.next()).toEqual({ done: false, value: { data: { updates: { seq: 1, label: '#1' } } } });
    const pending = it.next();
    await it.return!();
    // The pending read ends at once, without waiting for the quiet topic's next event.
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
