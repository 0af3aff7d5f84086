-- The fills blotter pages an account's executions by id (newest first); the candles query
-- aggregates one symbol's trades (its BUY rows) over a time range.
alter table `executions` add index `executions_account_id_id_index`(`account_id`, `id`);
alter table `executions` add index `executions_symbol_side_created_at_index`(`symbol`, `side`, `created_at`);
