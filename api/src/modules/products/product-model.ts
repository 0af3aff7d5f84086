/** The catalog's vocabulary (plain values: the entity, the services and the GraphQL enums share them). */

/** Kind of product, as the catalog CSV spells it. */
export enum ProductType {
  STOCK = 'stock',
  ETF = 'etf',
  FUND = 'fund',
  TRUST = 'trust',
}

/** Whether a product takes orders. */
export enum TradingStatus {
  TRADING = 'TRADING',
  HALTED = 'HALTED',
}

/** Tick size of a product created without one (the catalog CSV has none; createProduct may omit it). */
export const DEFAULT_TICK_SIZE = '0.01';
