-- Who started and who cancelled a billing run (the token's id), whether it was forced before its period had ended in
-- every customer's time zone, and the currency it bills (NULL: the currency of each customer's tariff).
ALTER TABLE billing_run ADD COLUMN started_by uuid;
ALTER TABLE billing_run ADD COLUMN cancelled_by uuid;
ALTER TABLE billing_run ADD COLUMN forced boolean NOT NULL DEFAULT false;
ALTER TABLE billing_run ADD COLUMN currency char(3) CHECK (currency ~ '^[A-Z]{3}$');
