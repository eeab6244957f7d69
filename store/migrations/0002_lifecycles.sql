-- Articles 5-8: what the lifecycles of disclosure, correction, suspension and
-- third-party stop need beyond the foundation.

-- Article 8: whether an item was obtained by lawful means, from the acquisition record.
ALTER TABLE personal_data ADD COLUMN lawfully_obtained boolean NOT NULL DEFAULT true;

-- Article 6: the fee of 1,000 yen per case.
CREATE TABLE invoices (
    invoice_id      text PRIMARY KEY,
    request_id      text NOT NULL UNIQUE REFERENCES requests (request_id),
    amount_yen      integer NOT NULL CHECK (amount_yen > 0),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'lapsed')),
    issued_at       timestamptz NOT NULL,
    paid_at         timestamptz,
    payment_reference text
);

-- Operators' texts for the person (reasons, measures): personal, referred to by id only.
CREATE TABLE operator_notes (
    note_id     uuid PRIMARY KEY,
    request_id  text NOT NULL REFERENCES requests (request_id),
    purpose     text NOT NULL CHECK (purpose IN ('reason', 'measure')),
    body        text NOT NULL,
    operator    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Article 6: what was compiled for the person, as sent.
CREATE TABLE disclosures (
    request_id  text PRIMARY KEY REFERENCES requests (request_id),
    items       jsonb NOT NULL,
    compiled_at timestamptz NOT NULL
);
