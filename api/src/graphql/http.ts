import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/**
 * POST/GET /graphql straight from node:http into Apollo's `executeHTTPGraphQLRequest` — the
 * same call the Express integration makes, without Express's router, body parser and ETag on
 * the hottest path of the exchange (every order). Express still serves everything else.
 *
 * Bodies: JSON only (anything else reaches Apollo without a body, which refuses it with its
 * CSRF/content-type error); at most `maxBodyBytes` (413 PAYLOAD_TOO_LARGE); UTF-8 only and
 * strictly decoded; malformed JSON is a 400 BAD_REQUEST with a reason. Every refusal here is a
 * GraphQL-shaped JSON body with `extensions.code`, like Apollo's own.
 */
export interface GraphQLHttpOptions<TContext extends BaseContext> {
  readonly maxBodyBytes: number;
  readonly context: (req: IncomingMessage) => Promise<TContext>;
  /** Called for a failure after the response has started or while writing it (logged by the caller). */
  readonly onError: (error: unknown) => void;
  /**
   * Looks at each operation of a request (POST body, or GET parameters) before Apollo parses and
   * validates it; a refusal is answered at once with status 400 and its code and reason.
   */
  readonly screen?: (operation: { readonly query?: unknown; readonly operationName?: unknown }) => ScreenRefusal | undefined;
  /**
   * Admission control (after the screen, before Apollo): undefined when the operation is not
   * concerned; else a release function called once the response is finished or the connection
   * closed, or a refusal answered at once with status 503 and a Retry-After header.
   */
  readonly admit?: (operation: { readonly query?: unknown }) => { readonly release: () => void } | { readonly refusal: AdmissionRefusal } | undefined;
}

/** What {@link GraphQLHttpOptions.admit} refuses a request with. */
export interface AdmissionRefusal extends ScreenRefusal {
  readonly retryAfterMs: number;
}

/** What {@link GraphQLHttpOptions.screen} refuses a request with. */
export interface ScreenRefusal {
  readonly code: string;
  readonly reason: string;
  readonly message: string;
}

export function graphqlHttpHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  options: GraphQLHttpOptions<TContext>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const search = q >= 0 ? url.slice(q) : '';
    if (req.method !== 'POST') {
      const params = new URLSearchParams(search);
      if (screened({ query: params.get('query') ?? undefined, operationName: params.get('operationName') ?? undefined })) return;
      void respond(undefined);
      return;
    }
    const type = req.headers['content-type'];
    const media = type?.split(';', 1)[0]!.trim().toLowerCase();
    if (media !== 'application/json' && !media?.endsWith('+json')) {
      // Not ours to parse; Apollo refuses it (CSRF prevention) with a coded 400.
      req.resume();
      req.once('end', () => void respond(undefined));
      return;
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      refuse(400, 'BAD_REQUEST', 'UNSUPPORTED_CHARSET', `Unsupported charset "${charset}": send UTF-8 JSON.`, true);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > options.maxBodyBytes) {
      refuse(413, 'PAYLOAD_TOO_LARGE', 'BODY_TOO_LARGE', `Request body above ${options.maxBodyBytes} bytes.`, true);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > options.maxBodyBytes) {
        failed = true;
        refuse(413, 'PAYLOAD_TOO_LARGE', 'BODY_TOO_LARGE', `Request body above ${options.maxBodyBytes} bytes.`, true);
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', () => {
      failed = true;
      res.destroy();
    });
    req.once('end', () => {
      if (failed) return;
      let text: string;
      try {
        text = decoder.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      } catch {
        refuse(400, 'BAD_REQUEST', 'INVALID_UTF8', 'The request body is not valid UTF-8.');
        return;
      }
      if (text.trim() === '') {
        void respond({});
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        refuse(400, 'BAD_REQUEST', 'INVALID_JSON', `The request body is not valid JSON: ${(e as Error).message}`);
        return;
      }
      const operations = Array.isArray(body) ? body : [body];
      for (const operation of operations) if (operation && typeof operation === 'object' && screened(operation)) return;
      if (options.admit && !admitted(operations)) return;
      void respond(body);
    });

    async function respond(body: unknown): Promise<void> {
      try {
        const headers = new HeaderMap();
        for (const [key, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
        }
        const result = await apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method?.toUpperCase() ?? 'GET', headers, search, body },
          context: () => options.context(req),
        });
        for (const [key, value] of result.headers) res.setHeader(key, value);
        res.statusCode = result.status ?? 200;
        if (result.body.kind === 'complete') {
          res.end(result.body.string);
          return;
        }
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      } catch (error) {
        options.onError(error);
        if (!res.headersSent) refuse(500, 'INTERNAL_SERVER_ERROR', undefined, 'Internal server error.');
        else res.destroy();
      }
    }

    /** Answers a refusal of the screen and returns true, or returns false. */
    function screened(operation: { readonly query?: unknown; readonly operationName?: unknown }): boolean {
      const r = options.screen?.(operation);
      if (r) refuse(400, r.code, r.reason, r.message);
      return r !== undefined;
    }

    /** Admits every operation concerned, or answers the first refusal (releasing the others) and returns false. */
    function admitted(operations: unknown[]): boolean {
      const releases: (() => void)[] = [];
      for (const operation of operations) {
        if (!operation || typeof operation !== 'object') continue;
        const verdict = options.admit!(operation);
        if (!verdict) continue;
        if ('refusal' in verdict) {
          for (const release of releases) release();
          const r = verdict.refusal;
          res.setHeader('retry-after', String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))));
          refuse(503, r.code, r.reason, r.message, false, { retryAfterMs: r.retryAfterMs });
          return false;
        }
        releases.push(verdict.release);
      }
      if (releases.length > 0) res.once('close', () => releases.forEach((release) => release()));
      return true;
    }

    /** A coded refusal. `close`: the rest of the body is not read, so the connection cannot be reused. */
    function refuse(status: number, code: string, reason: string | undefined, message: string, close = false, extra?: Record<string, unknown>): void {
      if (res.headersSent) return;
      const payload = JSON.stringify({ errors: [{ message, extensions: { code, ...(reason ? { reason } : {}), ...extra } }] });
      res.statusCode = status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      if (close) res.setHeader('connection', 'close');
      res.end(payload);
    }
  };
}
