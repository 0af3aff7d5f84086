-- Pre-trade risk limits set by admins (null = the configured default; see config.ts RISK_*).
-- Per product: price band (basis points), largest order quantity and notional (a decimal in the
-- product currency), and the position limits every account gets in it.
create table `product_risk_limits` (`symbol` text not null, `price_band_bps` integer null, `max_order_qty` bigint null, `max_order_notional` text null, `max_long` bigint null, `max_short` bigint null, `updated_at` datetime not null, primary key (`symbol`));
-- Per account: position limits in one product, or in every product when symbol is '*'
-- (the account's product row wins over its '*' row, which wins over the product's).
create table `account_risk_limits` (`account_id` integer not null, `symbol` text not null, `max_long` bigint null, `max_short` bigint null, `updated_at` datetime not null, primary key (`account_id`, `symbol`));
-- The open orders of an account in a product, summed for its position limit on every order.
create index `orders_account_id_symbol_status_index` on `orders` (`account_id`, `symbol`, `status`);
