"""Filling the demo organisation's tables: set-based SQL over generate_series, with
deterministic values from PostgreSQL's own hash (`hashint8extended`), so any size builds in
seconds per million customers and every build of a size holds the same rows; customer 42
is always Hanako Yamada of examples/inventory.json, with the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

# The fill -----------------------------------------------------------------------------

# Value functions, temporary (each connection's own, gone when it closes) and inlined by
# the planner into the INSERTs that call them.
_FUNCTIONS = """
CREATE FUNCTION pg_temp.pick(id bigint, seed bigint, n integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (abs(hashint8extended(id, seed) % n))::integer $$;

CREATE FUNCTION pg_temp.email_of(customer bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN customer = 42 THEN 'hanako@example.jp'
                      ELSE 'customer' || customer || '@example.com' END $$;

CREATE FUNCTION pg_temp.address_of(place bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (1 + pg_temp.pick(place, 101, 6)) || '-' || (1 + pg_temp.pick(place, 102, 30))
                 || '-' || (1 + pg_temp.pick(place, 103, 20)) || ' ' ||
                 (ARRAY['Jingumae, Shibuya-ku, Tokyo 150-0001',
                        'Ebisu, Shibuya-ku, Tokyo 150-0013',
                        'Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023',
                        'Roppongi, Minato-ku, Tokyo 106-0032',
                        'Kichijoji Honcho, Musashino-shi, Tokyo 180-0004',
                        'Minatomirai, Nishi-ku, Yokohama 220-0012',
                        'Umeda, Kita-ku, Osaka 530-0001',
                        'Sakae, Naka-ku, Nagoya 460-0008',
                        'Tenjin, Chuo-ku, Fukuoka 810-0001',
                        'Kita 5-jo Nishi, Chuo-ku, Sapporo 060-0005',
                        'Karasuma, Shimogyo-ku, Kyoto 600-8008',
                        'Ichibancho, Aoba-ku, Sendai 980-0811'])[1 + pg_temp.pick(place, 104, 12)]
       $$;
"""

_CUSTOMERS = """
INSERT INTO customers (id, account_id, customer_number, full_name, email, phone, address,
                       date_of_birth, created_at)
SELECT id,
       'user-' || id,
       'C-' || lpad(id::text, greatest(7, length(id::text)), '0'),
       (ARRAY['Hanako', 'Taro', 'Yui', 'Haruto', 'Sakura', 'Ren', 'Aoi', 'Sota', 'Mei',
              'Yuto', 'Hina', 'Riku', 'Emi', 'Kenji', 'Akiko', 'Hiroshi', 'Yoko', 'Daiki',
              'Naomi', 'Takumi'])[1 + pg_temp.pick(id, 1, 20)]
       || ' ' ||
       (ARRAY['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto',
              'Nakamura', 'Kobayashi', 'Kato', 'Yoshida', 'Yamada', 'Sasaki', 'Yamaguchi',
              'Matsumoto', 'Inoue', 'Kimura', 'Hayashi', 'Shimizu', 'Mori'])
              [1 + pg_temp.pick(id, 2, 20)],
       pg_temp.email_of(id),
       CASE WHEN pg_temp.pick(id, 3, 10) > 0
            THEN '+81 ' || (ARRAY['70', '80', '90'])[1 + pg_temp.pick(id, 4, 3)]
                 || '-' || lpad(pg_temp.pick(id, 5, 10000)::text, 4, '0')
                 || '-' || lpad(pg_temp.pick(id, 6, 10000)::text, 4, '0') END,
       pg_temp.address_of(id),
       date '1940-01-01' + pg_temp.pick(id, 7, 24000),
       timestamptz '2016-04-01 00:00:00+09' + make_interval(secs => pg_temp.pick(id, 8, 290000000))
  FROM generate_series(1, $1::bigint) AS id
"""

# The same person as examples/inventory.json's user-42.
_HANAKO = """
UPDATE customers
   SET full_name = 'Hanako Yamada', email = 'hanako@example.jp', phone = '+81 90-1234-5678',
       address = '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001', date_of_birth = date '1988-04-12',
       created_at = timestamptz '2019-03-01 10:00:00+09'
 WHERE id = 42
"""

# Contracts 2c-1 and 2c are customer c's: one, or two (a first one ended, a move or a
# change of plan, and the one running since the day after).
_CONTRACTS = """
INSERT INTO contracts (id, customer_id, plan, supply_address, started_on, ended_on)
SELECT c * 2 - 1 + k,
       c,
       (ARRAY['Standard Electricity', 'Green Electricity 100', 'City Gas',
              'Electricity and Gas Set', 'Night Saver'])[1 + pg_temp.pick(c * 2 - 1 + k, 21, 5)],
       CASE WHEN k = n - 1 THEN pg_temp.address_of(c) ELSE pg_temp.address_of(-c) END,
       CASE WHEN k = 0 THEN started ELSE started + span + 1 END,
       CASE WHEN k = 0 AND n = 2 THEN started + span END
  FROM (SELECT c,
               CASE WHEN c = 42 THEN 2 ELSE 1 + pg_temp.pick(c, 20, 2) END AS n,
               date '2016-04-01' + pg_temp.pick(c, 22, 2500) AS started,
               180 + pg_temp.pick(c, 23, 900) AS span
          FROM generate_series(1, $1::bigint) AS c) AS customer
 CROSS JOIN LATERAL generate_series(0, n - 1) AS k
"""

# Payments 4p-3 .. 4p are contract p's: one to four (customer 42's contracts 83 and 84:
# three and two), by card or by direct debit.
_PAYMENTS = """
INSERT INTO payments (id, contract_id, paid_on, amount_yen, card_last4, bank_account)
SELECT p.id * 4 - 3 + j,
       p.id,
       p.started_on + 30 * (j + 1),
       2000 + 10 * pg_temp.pick(p.id * 4 - 3 + j, 31, 1500),
       CASE WHEN by_card THEN lpad(pg_temp.pick(p.id, 33, 10000)::text, 4, '0') END,
       CASE WHEN NOT by_card
            THEN (ARRAY['MUFG Bank', 'Mizuho Bank', 'SMBC', 'Resona Bank', 'Japan Post Bank'])
                     [1 + pg_temp.pick(p.id, 34, 5)]
                 || ', ' || (ARRAY['Shibuya', 'Shinjuku', 'Umeda', 'Sakae', 'Tenjin'])
                     [1 + pg_temp.pick(p.id, 35, 5)]
                 || ' branch (' || lpad((100 + pg_temp.pick(p.id, 36, 900))::text, 3, '0')
                 || '), ordinary ' || lpad(pg_temp.pick(p.id, 37, 10000000)::text, 7, '0')
       END
  FROM (SELECT id, started_on,
               CASE id WHEN 83 THEN 3 WHEN 84 THEN 2 ELSE 1 + pg_temp.pick(id, 30, 4) END AS m,
               pg_temp.pick(id, 32, 2) = 0 AS by_card
          FROM contracts) AS p
 CROSS JOIN LATERAL generate_series(0, m - 1) AS j
"""

_HANAKO_CONTRACTS = """
UPDATE contracts SET supply_address = '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001' WHERE id = 84;
UPDATE payments
   SET card_last4 = NULL, bank_account = 'MUFG Bank, Shibuya branch (135), ordinary 1234567'
 WHERE contract_id IN (83, 84)
"""

# Consents 2c-1 and 2c are customer c's: none, one or two channels.
_CONSENTS = """
INSERT INTO marketing_consents (id, customer_id, channel, granted_at, withdrawn_at)
SELECT c * 2 - 1 + k,
       c,
       (ARRAY['email', 'sms', 'post'])[1 + (pg_temp.pick(c, 41, 3) + k) % 3],
       granted + make_interval(days => 40 * k),
       CASE WHEN pg_temp.pick(c * 2 - 1 + k, 43, 5) = 0
            THEN granted + make_interval(days => 40 * k + 1 + pg_temp.pick(c * 2 - 1 + k, 44, 900))
       END
  FROM (SELECT c,
               CASE WHEN c = 42 THEN 2 ELSE pg_temp.pick(c, 40, 3) END AS n,
               timestamptz '2016-04-01 00:00:00+09'
                 + make_interval(secs => pg_temp.pick(c, 42, 280000000)) AS granted
          FROM generate_series(1, $1::bigint) AS c) AS customer
 CROSS JOIN LATERAL generate_series(0, n - 1) AS k
"""

# Login events 5c-4 .. 5c are customer c's: none to five.
_LOGINS = """
INSERT INTO login_events (id, customer_id, at, ip_address, user_agent)
SELECT e,
       c,
       timestamptz '2025-01-01 00:00:00+09' + make_interval(secs => pg_temp.pick(e, 51, 60000000)),
       (ARRAY['203.0.113.', '198.51.100.', '192.0.2.'])[1 + pg_temp.pick(e, 52, 3)]
         || (1 + pg_temp.pick(e, 53, 254)),
       (ARRAY['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1',
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36',
              'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15',
              'Mozilla/5.0 (Linux; Android 15; Pixel 9) Chrome/131.0 Mobile Safari/537.36',
              'Sesenergy/4.2 (Android 14)'])[1 + pg_temp.pick(e, 54, 5)]
  FROM (SELECT c, (c - 1) * 5 + k + 1 AS e
          FROM generate_series(1, $1::bigint) AS c
         CROSS JOIN LATERAL generate_series(
                 0, CASE WHEN c = 42 THEN 3 ELSE pg_temp.pick(c, 50, 6) END - 1) AS k) AS login
"""

# Page views 2c-1 and 2c are by customer c's e-mail address: none, one or two.
_WEB = """
INSERT INTO web_analytics (id, visitor_email, page, viewed_at)
SELECT v,
       pg_temp.email_of(c),
       (ARRAY['/', '/plans', '/plans/green-electricity', '/plans/electricity-and-gas',
              '/simulator', '/campaigns/spring', '/support/moving', '/support/faq'])
              [1 + pg_temp.pick(v, 61, 8)],
       timestamptz '2025-01-01 00:00:00+09' + make_interval(secs => pg_temp.pick(v, 62, 60000000))
  FROM (SELECT c, (c - 1) * 2 + k + 1 AS v
          FROM generate_series(1, $1::bigint) AS c
         CROSS JOIN LATERAL generate_series(
                 0, CASE WHEN c = 42 THEN 2 ELSE pg_temp.pick(c, 60, 3) END - 1) AS k) AS page_view
"""


async def fill(
    first: asyncpg.Connection, second: asyncpg.Connection, customers: int
) -> dict[str, int]:
    """Load every table, the work split evenly over two connections (an INSERT runs on one
    core; two at once use two). Returns the rows loaded per table."""
    rows: dict[str, int] = {}

    async def run(connection: asyncpg.Connection, steps: Sequence[tuple[str, str, bool]]) -> None:
        await connection.execute(_FUNCTIONS)
        for table, statement, counted in steps:
            status = await (
                connection.execute(statement, customers)
                if "$1" in statement
                else connection.execute(statement)
            )
            if counted:
                rows[table] = int(status.rsplit(" ", 1)[1])

    # A task group: should one load fail, the other is cancelled, not left running.
    async with asyncio.TaskGroup() as group:
        group.create_task(
            run(
                first,
                [
                    ("contracts", _CONTRACTS, True),
                    ("payments", _PAYMENTS, True),
                    ("payments", _HANAKO_CONTRACTS, False),
                ],
            )
        )
        group.create_task(
            run(
                second,
                [
                    ("customers", _CUSTOMERS, True),
                    ("customers", _HANAKO, False),
                    ("marketing_consents", _CONSENTS, True),
                    ("login_events", _LOGINS, True),
                    ("web_analytics", _WEB, True),
                ],
            )
        )
    return rows
