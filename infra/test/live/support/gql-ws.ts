/**
 * A minimal graphql-ws (subprotocol graphql-transport-ws) client on `ws`, written out so the
 * tests see exactly what travels on the socket: the ack, each `next`, and the close code and
 * reason (the shutdown test needs 1001). Protocol: connection_init → connection_ack;
 * subscribe {id, payload} → next* → complete | error; ping → pong.
 */
import WebSocket from 'ws';

export interface Received {
  id: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payload shapes are checked by the tests' assertions
  payload: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  at: number;
}

export interface GqlSocket {
  readonly ws: WebSocket;
  /** Every `next` payload received, in order. */
  readonly received: Received[];
  /** Resolves with the close code and reason whenever the socket closes. */
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  subscribe(query: string, variables?: Record<string, unknown>): string;
  /** Resolves with the first `next` on subscription `id` matching `pred` (already received ones count). */
  next(id: string, pred?: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  close(): void;
}

export async function connectGqlWs(url: string, connectionParams: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GqlSocket> {
  const ws = new WebSocket(url, 'graphql-transport-ws', { headers });
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  let seq = 0;
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString(), at: Date.now() });
      for (const w of waiters.splice(0)) w();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connection_ack within 10 s')), 10_000);
    ws.once('error', (e) => { clearTimeout(timer); reject(e); });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    void closed.then((c) => { clearTimeout(timer); reject(new Error(`closed before ack: ${c.code} ${c.reason}`)); });
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; id?: string; payload?: unknown };
      if (msg.type === 'connection_ack') { clearTimeout(timer); resolve(); }
      else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (msg.type === 'next' || msg.type === 'error') {
        received.push({ id: msg.id!, payload: (msg.type === 'error' ? { errors: msg.payload } : msg.payload) as Received['payload'], at: Date.now() });
        for (const w of waiters.splice(0)) w();
      }
    });
  });
  // After the ack, socket errors surface through `closed`.
  ws.on('error', () => {});
  return {
    ws,
    received,
    closed,
    subscribe(query, variables = {}) {
      const id = String(++seq);
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      return id;
    },
    next(id, pred = () => true, timeoutMs = 15_000) {
      return new Promise<Received>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message on subscription ${id} within ${timeoutMs} ms; got ${JSON.stringify(received.filter((r) => r.id === id))}`)), timeoutMs);
        const check = () => {
          const hit = received.find((r) => r.id === id && pred(r));
          if (hit) { clearTimeout(timer); resolve(hit); return; }
          if (ws.readyState === WebSocket.CLOSED) { clearTimeout(timer); reject(new Error(`socket closed waiting on subscription ${id}`)); return; }
          waiters.push(check);
        };
        check();
      });
    },
    close() { ws.terminate(); },
  };
}
