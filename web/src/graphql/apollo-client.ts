/**
 * The one Apollo client factory: subscriptions over graphql-ws (WebSocket), everything else
 * over HTTP, split by operation type. The bearer token is read on every request and every
 * (re)connection; a token the server no longer accepts is reported once so the app can clear
 * it and send the user to Login.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, split, type NormalizedCacheObject } from '@apollo/client/core';
import { setContext } from '@apollo/client/link/context';
import { onError } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient, type Client } from 'graphql-ws';
import { SESSION_ENDED_CODES, type SocketEvent } from '../lib/connection';

export interface ApolloOptions {
  /** Absolute URL of the HTTP endpoint, e.g. http://localhost:4000/graphql. */
  readonly httpUrl: string;
  /** Absolute URL of the WebSocket endpoint, e.g. ws://localhost:4000/graphql. */
  readonly wsUrl: string;
  /** The current session token, or null when logged out. */
  getToken(): string | null;
  /**
   * The server refused the token (expired, revoked, account disabled). `reason`: the server's
   * words when it gave some (the WebSocket close reason, e.g. "Account disabled").
   */
  onUnauthenticated(reason?: string): void;
  /** The server refused an operation for the caller's role (the role may have changed). */
  onForbidden?(): void;
  /** WebSocket lifecycle, for the reconnect banner. */
  onSocketEvent?(event: SocketEvent): void;
  /** A WebSocket implementation where there is no global one (Node 20). */
  readonly webSocketImpl?: unknown;
}

export interface ApolloSetup {
  readonly client: ApolloClient<NormalizedCacheObject>;
  readonly socket: Client;
  /** Reopens the WebSocket so it authenticates with the current token (after login or logout). */
  reconnect(): void;
}

/** Cache identities: products, quotes and holdings by symbol; trades by symbol and TradeID. */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Product: { keyFields: ['symbol'] },
      Quote: { keyFields: ['symbol'] },
      Holding: { keyFields: ['symbol'] },
      Trade: { keyFields: ['symbol', 'tradeId'] },
      ExecutionReport: { keyFields: ['execId'] },
      OrderBook: { keyFields: false },
      OrderBookUpdate: { keyFields: false },
    },
  });
}

export function createApolloClient(options: ApolloOptions): ApolloSetup {
  let intentionalClose = false;
  /** Between a `connecting` event and the next `closed`: there is a socket to close. */
  let socketLive = false;
  const emit = (event: SocketEvent) => options.onSocketEvent?.(event);

  const socket = createClient({
    url: options.wsUrl,
    lazy: true,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries, 5_000) + Math.random() * 300));
    },
    connectionParams: () => {
      const token = options.getToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    on: {
      connecting: () => {
        socketLive = true;
        emit({ type: 'connecting' });
      },
      connected: () => emit({ type: 'connected' }),
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code ?? 1006;
        const reason = (event as { reason?: string } | undefined)?.reason || undefined;
        const intentional = intentionalClose;
        intentionalClose = false;
        socketLive = false;
        emit({ type: 'closed', code, intentional, reason });
        if (SESSION_ENDED_CODES.has(code) && options.getToken()) options.onUnauthenticated(reason);
      },
    },
  });

  const auth = setContext((_op, { headers }) => {
    const token = options.getToken();
    return {
      headers: { ...(headers as Record<string, string> | undefined), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      sentToken: token !== null,
    };
  });

  const errors = onError(({ graphQLErrors, networkError, operation }) => {
    const sentToken = operation.getContext().sentToken === true || (operation.query && isSubscription(operation.query) && options.getToken() !== null);
    const list = [
      ...(graphQLErrors ?? []),
      ...(((networkError as { result?: { errors?: { extensions?: Record<string, unknown> }[] } } | null)?.result?.errors) ?? []),
    ];
    const codes = list.map((e) => ({ code: e.extensions?.code, reason: e.extensions?.reason }));
    if (sentToken && codes.some((c) => c.code === 'UNAUTHENTICATED' && c.reason !== 'BAD_CREDENTIALS')) options.onUnauthenticated();
    else if (codes.some((c) => c.code === 'FORBIDDEN')) options.onForbidden?.();
  });

  const http = ApolloLink.from([auth, new HttpLink({ uri: options.httpUrl })]);
  const ws = new GraphQLWsLink(socket);
  const link = ApolloLink.from([errors, split(({ query }) => isSubscription(query), ws, http)]);

  const client = new ApolloClient({
    link,
    cache: createCache(),
    defaultOptions: {
      watchQuery: { fetchPolicy: 'cache-and-network', nextFetchPolicy: 'cache-first', errorPolicy: 'none' },
    },
  });

  return {
    client,
    socket,
    reconnect() {
      if (!socketLive) return;
      intentionalClose = true;
      socket.terminate();
    },
  };
}

function isSubscription(query: Parameters<typeof getMainDefinition>[0]): boolean {
  const def = getMainDefinition(query);
  return def.kind === 'OperationDefinition' && def.operation === 'subscription';
}

/** The endpoint URLs of the page's own origin (the API serves the app on the same port). */
export function sameOriginEndpoints(location: Pick<Location, 'protocol' | 'host'>): { httpUrl: string; wsUrl: string } {
  const ws = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { httpUrl: `${location.protocol}//${location.host}/graphql`, wsUrl: `${ws}//${location.host}/graphql` };
}
