-- Trading sessions (see the MySQL migration of the same number).
alter table `products` add column `session_time_zone` text null;
alter table `products` add column `session_open` text null;
alter table `products` add column `session_close` text null;
alter table `products` add column `session_days` text null;
alter table `products` add column `day_expired_through` bigint not null default 0;
