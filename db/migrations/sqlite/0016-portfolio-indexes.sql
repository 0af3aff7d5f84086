-- The fills blotter pages an account's executions by id (newest first); the candles query
-- aggregates one symbol's trades (its BUY rows) over a time range.
create index `executions_account_id_id_index` on `executions` (`account_id`, `id`);
create index `executions_symbol_side_created_at_index` on `executions` (`symbol`, `side`, `created_at`);
