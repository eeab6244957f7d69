-- Issue 24 (N7): a fee paid after the payment window ('refund_due') is refunded outside the
-- service; the cashier records the refund (`dsr record-refund`, store/refunds.py): the
-- invoice becomes 'refunded', with the day the refund was paid and its reference (sealed
-- under the subject's key: a bank reference may carry the person's name).
ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('open', 'paid', 'lapsed', 'refund_due', 'refunded'));
ALTER TABLE invoices ADD COLUMN refunded_on date;
ALTER TABLE invoices ADD COLUMN refund_reference text;
