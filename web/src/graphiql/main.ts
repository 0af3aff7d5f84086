/**
 * The GraphQL IDE for API users (served at /graphiql.html): GraphiQL bundled with the app build,
 * so it works offline. Queries and mutations go over HTTP, subscriptions over graphql-ws on the
 * same /graphql path. When the browser is logged in to the app, its token is prefilled in the
 * headers (and used for subscriptions), except on a page opened with a linked `?query=`.
 */
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { buildSchema } from 'graphql';
import 'graphiql/graphiql.css';
// The contract as printed from the server, bundled: docs and completion work without
// introspection (which the server's depth limit refuses) and without a network.
import sdl from '../../../schema/schema.graphql?raw';

function storedToken(): string | null {
  try {
    const raw = window.localStorage.getItem('trading-app.session');
    const token = raw ? (JSON.parse(raw) as { token?: unknown }).token : null;
    return typeof token === 'string' ? token : null;
  } catch {
    return null;
  }
}

/** `?query=` opens the IDE on a given operation (shareable links). */
const linked = new URLSearchParams(window.location.search).get('query');
/**
 * The logged-in session's token, unless the page was opened on a linked operation: a link is
 * somebody else's text, and with an admin's token prefilled one click would run it as that
 * admin. Then the IDE starts anonymous and the user pastes a token on purpose.
 */
const token = linked ? null : storedToken();
const ws = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
const fetcher = createGraphiQLFetcher({
  url: `${window.location.origin}/graphql`,
  subscriptionUrl: `${ws}//${window.location.host}/graphql`,
  wsConnectionParams: token ? { authorization: `Bearer ${token}` } : {},
});

const EXAMPLE = `# Trading App GraphQL API. Prices are decimal strings; quantities are whole shares.
# Log in with the mutation below, then put the token in the Headers tab:
#   { "Authorization": "Bearer <token>" }

query Quotes {
  products(query: "AAPL", first: 5) {
    nodes { symbol name tickSize quote { last bid ask changePercent } }
  }
}

mutation Login {
  login(username: "admin", password: "your-password") { token expiresAt user { username role } }
}
`;

const root = document.getElementById('graphiql');
if (root) {
  createRoot(root).render(
    createElement(GraphiQL, {
      fetcher,
      schema: buildSchema(sdl),
      ...(linked ? { query: linked } : { defaultQuery: EXAMPLE }),
      defaultEditorToolsVisibility: token ? 'headers' : false,
      headers: token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : undefined,
      shouldPersistHeaders: false,
      defaultTheme: 'dark',
    }),
  );
}
