/**
 * A WebSocket client below graphql-ws, for what a well-behaved client never sends: raw frames,
 * protocol violations, floods. Records every message and the close code.
 */
import WebSocket from 'ws';

export interface RawSocket {
  readonly ws: WebSocket;
  /** Parsed JSON messages received (non-JSON ones as `{ raw }`). */
  readonly messages: Record<string, unknown>[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Sends a frame: objects as JSON, strings and buffers as they are. */
  send(frame: unknown): void;
  /** Resolves when `pred` holds for the messages so far (or rejects after `ms`). */
  waitFor(pred: (messages: Record<string, unknown>[]) => boolean, ms?: number): Promise<void>;
  /** True while the socket is open. */
  isOpen(): boolean;
}

/** Opens a socket to the API's /graphql (protocol graphql-transport-ws unless told otherwise). */
export function openSocket(httpUrl: string, protocol: string | null = 'graphql-transport-ws'): Promise<RawSocket> {
  const ws = protocol === null ? new WebSocket(httpUrl.replace(/^http/, 'ws')) : new WebSocket(httpUrl.replace(/^http/, 'ws'), protocol);
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const text = data.toString();
    try {
      messages.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      messages.push({ raw: text });
    }
    for (const w of [...waiters]) w();
  });
  void closed.then(() => {
    for (const w of [...waiters]) w();
  });
  const socket: RawSocket = {
    ws,
    messages,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
    isOpen: () => ws.readyState === WebSocket.OPEN,
    waitFor: (pred, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pred(messages)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (ws.readyState === WebSocket.CLOSED) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`socket closed; messages: ${JSON.stringify(messages).slice(0, 500)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; messages: ${JSON.stringify(messages).slice(0, 500)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} instead of a WebSocket`)));
    // A server may refuse the subprotocol by closing right after the handshake.
    ws.once('close', () => resolve(socket));
  });
}

/** The errors a subscription got: from `error` messages and from `next` payloads with errors. */
export function errorsOf(messages: Record<string, unknown>[], id: string): { message: string; extensions?: { code?: string; reason?: string } }[] {
  const out: { message: string; extensions?: { code?: string; reason?: string } }[] = [];
  for (const m of messages) {
    if (m.id !== id) continue;
    if (m.type === 'error') out.push(...(m.payload as never[]));
    if (m.type === 'next' && (m.payload as { errors?: never[] }).errors) out.push(...(m.payload as { errors: never[] }).errors);
  }
  return out;
}
