-- Issue 24 (N7): a payment is judged by its own value date. A payment made after the
-- person's window is recorded with status 'refund_due' (nothing is disclosed, the fee is
-- to be refunded); value_date is the day the person paid (domain/payments.py).
ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('open', 'paid', 'lapsed', 'refund_due'));
ALTER TABLE invoices ADD COLUMN value_date date;
