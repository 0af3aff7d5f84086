/**
 * A loopback TCP proxy to cut a dependency off the API on demand (what a database failover or
 * a network partition looks like to the process): `cut()` stops listening and destroys every
 * open connection, `restore()` listens again on the same port.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Keeps every connection open but passes no more bytes either way, and opens no new ones: a hung server. */
  stall(): void;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const make = (): Server =>
    createServer((client) => {
      if (stalled) { sockets.add(client); client.on('close', () => sockets.delete(client)); client.on('error', () => {}); return; }
      const upstream = createConnection({ host: targetHost, port: targetPort });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  let server = make();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const stopListening = () => new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
  return {
    port,
    stall() {
      stalled = true;
      for (const s of sockets) { s.unpipe(); s.pause(); }
    },
    async cut() {
      const closed = stopListening();
      for (const s of sockets) s.destroy();
      await closed;
    },
    async restore() {
      stalled = false;
      for (const s of sockets) s.destroy();
      if (server.listening) return;
      server = make();
      await new Promise<void>((r, j) => { server.once('error', j); server.listen(port, '127.0.0.1', () => r()); });
    },
    async close() {
      const closed = stopListening();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
