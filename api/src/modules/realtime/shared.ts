import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { pipe, type Stream } from './streams.js';

/**
 * Fan-out without per-subscriber work. A public update (a book delta, a trade, a quote) is the
 * same for every subscriber of its topic, so:
 * - {@link sharedValue} builds the update once per bus message (and view, e.g. book depth) and
 *   hands every subscriber the same object, marked public;
 * - {@link executeShared} executes a subscription's selection once per (public update, query
 *   text, variables) and reuses the result for every subscriber asking the same thing.
 * A 10,000-subscriber book update is then one GraphQL execution, not 10,000. An update that
 * depends on the viewer is shared only under a view naming the viewer (an execution report is
 * built once for all of one user's sockets), or not at all (the all-orders list: per subscriber).
 * Field resolvers of these types do not read the request's context, so equal objects and equal
 * query texts give equal results.
 */
const publicUpdates = new WeakSet<object>();
const builtFrom = new WeakMap<object, Map<string, object>>();
const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
/** The cache key of a subscription's request (query text, operation, variables), set when it is accepted. */
const requestKeys = new WeakMap<ExecutionArgs, string>();

/** The public update built from `message` for `view`, built once and shared by every subscriber. */
export function sharedValue<T extends object>(message: object, view: string, build: () => T): T {
  let byView = builtFrom.get(message);
  if (!byView) {
    byView = new Map();
    builtFrom.set(message, byView);
  }
  let value = byView.get(view) as T | undefined;
  if (!value) {
    value = build();
    publicUpdates.add(value);
    byView.set(view, value);
  }
  return value;
}

/**
 * Records what a subscription asked for, so its public updates can share execution results.
 * `documentKey` names its query text: equal for equal texts, different otherwise (the text
 * itself, or the id of an interned copy, so each subscription does not hold one of its own).
 */
export function rememberRequest(args: ExecutionArgs, documentKey: string): void {
  requestKeys.set(args, `${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${documentKey}`);
}

/** Executes one event of a subscription: once per public update and request, else per subscriber. */
export async function executeShared(args: ExecutionArgs, event: unknown): Promise<ExecutionResult> {
  const key = requestKeys.get(args);
  if (key === undefined || typeof event !== 'object' || event === null || !publicUpdates.has(event)) {
    return execute({ ...args, rootValue: event });
  }
  let byRequest = results.get(event);
  if (!byRequest) {
    byRequest = new Map();
    results.set(event, byRequest);
  }
  let result = byRequest.get(key);
  if (!result) {
    const map = byRequest;
    // The promise is shared, so subscribers woken by the same update together wait for one execution.
    result = Promise.resolve(execute({ ...args, rootValue: event })).then((r) => {
      // Errors may carry per-request detail (paths, locations): never shared.
      if (r.errors?.length) map.delete(key);
      return r;
    });
    byRequest.set(key, result);
  }
  return result;
}

/**
 * graphql-js's `subscribe` with {@link executeShared} in place of its per-event `execute`: the
 * source stream comes from the resolver as usual; each event is executed (or reused) by key.
 */
export async function subscribeShared(args: ExecutionArgs): Promise<Stream<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  return pipe(source, (event) => executeShared(args, event));
}
