/**
 * The floor of bench:api: Apollo Server 5 on its own standalone HTTP server with a no-op
 * `placeOrder(input)` of the same input shape — no auth, no validation, no database, no engine.
 * What the mandated stack costs per request on this machine before the exchange does anything.
 * Run as a child process by bench/api.ts; prints its URL on stdout when listening.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const typeDefs = `
  input PlaceOrderInput { symbol: String!, side: String!, type: String!, price: String, quantity: Int!, timeInForce: String, clOrdId: String }
  type Order { id: ID!, status: String!, cumQty: Int! }
  type Query { ok: Boolean }
  type Mutation { placeOrder(input: PlaceOrderInput!): Order! }
`;
let n = 0;
const server = new ApolloServer({
  typeDefs,
  resolvers: { Mutation: { placeOrder: () => ({ id: String(++n), status: 'NEW', cumQty: 0 }) } },
});
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
console.log(url);
