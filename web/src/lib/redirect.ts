/** Where to go after logging in: a `redirect` query value, only if it is a path of this app. */
export function safeRedirect(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string' || !v.startsWith('/') || v.startsWith('//') || v.startsWith('/\\')) return undefined;
  return v.startsWith('/login') ? undefined : v;
}
