import { registerEnumType } from 'type-graphql';
import { ORD_STATUSES, ORD_TYPES, SIDES, TIMES_IN_FORCE } from '../engine/index.js';
import { Role } from '../modules/accounts/role.js';
import { ProductType, TradingStatus } from '../modules/products/product-model.js';
import { EXEC_TYPES } from '../modules/realtime/messages.js';

/** A GraphQL enum object of a vocabulary list: each value's name is the value ({ BUY: 'BUY', … }). */
export function enumOf<const T extends string>(values: readonly T[]): { readonly [K in T]: K } {
  const object: Partial<Record<T, T>> = {};
  for (const v of values) object[v] = v;
  return object as { readonly [K in T]: K };
}

/**
 * GraphQL enums, derived from the engine's vocabulary (engine/types.ts) and the report types
 * (realtime/messages.ts): values are the FIX 4.4 names; the FIX tag values are in each description.
 */
export const SideEnum = enumOf(SIDES);
export const OrdTypeEnum = enumOf(ORD_TYPES);
export const TimeInForceEnum = enumOf(TIMES_IN_FORCE);
export const OrdStatusEnum = enumOf(ORD_STATUSES);
export const ExecTypeEnum = enumOf(EXEC_TYPES);
export enum OrderSortEnum {
  TIME_DESC = 'TIME_DESC',
  TIME_ASC = 'TIME_ASC',
  QUANTITY_DESC = 'QUANTITY_DESC',
  QUANTITY_ASC = 'QUANTITY_ASC',
}

registerEnumType(SideEnum, {
  name: 'Side',
  description: 'FIX Side (54).',
  valuesConfig: { BUY: { description: 'Buy (54=1).' }, SELL: { description: 'Sell (54=2).' } },
});
registerEnumType(OrdTypeEnum, {
  name: 'OrdType',
  description: 'FIX OrdType (40).',
  valuesConfig: {
    MARKET: { description: 'Market (40=1): takes what liquidity there is; the rest is canceled.' },
    LIMIT: { description: 'Limit (40=2): trades at the limit price or better.' },
  },
});
registerEnumType(TimeInForceEnum, {
  name: 'TimeInForce',
  description: 'FIX TimeInForce (59).',
  valuesConfig: {
    DAY: { description: 'Day (59=0): rests until the end of the trading session.' },
    GTC: { description: 'Good till cancel (59=1).' },
    IOC: { description: 'Immediate or cancel (59=3): the unfilled rest is canceled.' },
    FOK: { description: 'Fill or kill (59=4): fills entirely at once or not at all.' },
  },
});
registerEnumType(OrdStatusEnum, {
  name: 'OrdStatus',
  description: 'FIX OrdStatus (39).',
  valuesConfig: {
    PENDING_NEW: { description: 'Pending new (39=A).' },
    NEW: { description: 'New (39=0): resting, nothing filled.' },
    PARTIALLY_FILLED: { description: 'Partially filled (39=1).' },
    FILLED: { description: 'Filled (39=2).' },
    CANCELED: { description: 'Canceled (39=4), possibly after partial fills.' },
    REJECTED: { description: 'Rejected (39=8).' },
    EXPIRED: { description: 'Expired (39=C): a DAY order at the end of the session.' },
  },
});
registerEnumType(ExecTypeEnum, {
  name: 'ExecType',
  description: 'FIX ExecType (150): what an execution report reports.',
  valuesConfig: {
    NEW: { description: 'New (150=0).' },
    CANCELED: { description: 'Canceled (150=4).' },
    REPLACED: { description: 'Replaced (150=5).' },
    REJECTED: { description: 'Rejected (150=8).' },
    EXPIRED: { description: 'Expired (150=C).' },
    TRADE: { description: 'Trade (150=F): a fill.' },
  },
});
registerEnumType(OrderSortEnum, {
  name: 'OrderSort',
  description: 'Order list sort.',
  valuesConfig: {
    TIME_DESC: { description: 'Newest first.' },
    TIME_ASC: { description: 'Oldest first.' },
    QUANTITY_DESC: { description: 'Largest quantity first.' },
    QUANTITY_ASC: { description: 'Smallest quantity first.' },
  },
});
registerEnumType(Role, {
  name: 'Role',
  description: 'What an account may do.',
  valuesConfig: {
    TRADER: { description: 'Trades on its own account.' },
    SUPPORT: { description: 'Also reads all accounts and orders.' },
    ADMIN: { description: 'Also manages accounts, products and any order.' },
  },
});
registerEnumType(ProductType, {
  name: 'ProductType',
  description: 'Kind of product.',
  valuesConfig: {
    STOCK: { description: 'A share.' },
    ETF: { description: 'An exchange-traded fund.' },
    FUND: { description: 'A mutual fund.' },
    TRUST: { description: 'A trust.' },
  },
});
registerEnumType(TradingStatus, {
  name: 'TradingStatus',
  description: 'Whether a product takes orders.',
  valuesConfig: {
    TRADING: { description: 'Open for trading.' },
    HALTED: { description: 'Halted: new orders and amends are refused; cancels still work.' },
  },
});
