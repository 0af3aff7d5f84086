-- Trading sessions. A product's hours override its listing suffix's default when session_time_zone
-- is set (then all four columns are set): IANA zone, open and close as local HH:MM, weekdays as
-- ISO digits (1 = Monday … 7 = Sunday), e.g. '12345'.
-- day_expired_through: the close (ms since the epoch) up to which the symbol's DAY orders have been
-- expired. The order path sets it under the product row lock, in the transaction of the expiry,
-- so one replica performs each close's expiry and the others see it done.
alter table `products` add `session_time_zone` varchar(64) null, add `session_open` char(5) null, add `session_close` char(5) null, add `session_days` varchar(7) null, add `day_expired_through` bigint not null default 0;
