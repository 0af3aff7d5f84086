/** Reads the bearer token from an Authorization header value (HTTP) or connection parameter (WebSocket). */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}
