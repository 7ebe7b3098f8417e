-- Invoices are looked up by customer (every customer of a billing run: its earlier standing invoices, for late usage
-- since), by run (a run's progress lists its invoices in number order) and by the invoice a credit note cancels.
-- Without these indexes each lookup read every invoice ever issued: a run's cost grew with the square of its
-- customers (10,000 customers: 50 million rows visited) and with every month of history.
CREATE INDEX invoice_by_customer ON invoice (customer_id, period);
CREATE INDEX invoice_by_run ON invoice (run_id, series, number);
CREATE INDEX invoice_by_credited_invoice ON invoice (credits_invoice_id) WHERE credits_invoice_id IS NOT NULL;
