#!/usr/bin/env bash
# The application's three roles, created when the postgres image initialises an empty
# volume (docker-compose.yml mounts this file into /docker-entrypoint-initdb.d). The
# image's superuser only bootstraps: the application connects as these, none of them a
# superuser, like the embedded default (store/privileges.py: ensure_roles).
#
#   dsr_owner    owns the schema's objects: compose's one-shot migrate service
#                (`dsr-admin setup`) migrates as it, then grants dsr_worker and dsr_api
#                their tables (store/privileges.py: grant_roles). Neither the worker nor
#                the API holds its URL.
#   dsr_worker   connects and may use schema public, nothing more until those grants;
#                the worker serves as it alone.
#   dsr_api      the same, for the API.
#
# dsr_runtime, the one runtime role before issue 21, if it exists, may no longer sign in
# (`dsr-admin setup` then takes its grants away).
#
# Safe to run again, e.g. on a volume initialised before the roles existed or to change
# the passwords (the image runs init scripts on an empty volume only):
#   docker compose exec app-db bash /docker-entrypoint-initdb.d/10-dsr-roles.sh
# It then also hands to dsr_owner whatever the superuser still owns in schema public.
#
# Passwords come from DSR_OWNER_DB_PASSWORD, DSR_WORKER_DB_PASSWORD and DSR_API_DB_PASSWORD
# and reach SQL only
# as psql variables (:'...'), so psql quotes them; the heredoc is quoted, so the shell
# substitutes nothing into it. The image sources this file when it is not executable:
# hence no `set -u` (it would outlive this file) and `exit` only when set-up cannot go on.
set -eo pipefail

for variable in DSR_OWNER_DB_PASSWORD DSR_WORKER_DB_PASSWORD DSR_API_DB_PASSWORD; do
    # The services' URLs carry these passwords unescaped (docker-compose.yml).
    if [[ ! ${!variable:-} =~ ^[A-Za-z0-9._~-]+$ ]]; then
        echo "10-dsr-roles.sh: $variable must be set, from A-Z a-z 0-9 . _ ~ - only" >&2
        exit 1
    fi
done
# The schema's hand-over is store/hand_over.sql, which the service runs too: mounted at
# /opt/dsr by docker-compose.yml, or found from this file in a checkout.
hand_over=/opt/dsr/hand_over.sql
if [[ ! -r $hand_over ]]; then
    hand_over="$(dirname "${BASH_SOURCE[0]}")/../../store/hand_over.sql"
fi
if [[ ! -r $hand_over ]]; then
    echo "10-dsr-roles.sh: store/hand_over.sql is neither at /opt/dsr nor in a checkout" >&2
    exit 1
fi

psql --no-psqlrc --no-password -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-dsr}" \
    -v owner=dsr_owner -v worker=dsr_worker -v api=dsr_api -v retired=dsr_runtime \
    -v hand_over="$hand_over" \
    -v owner_password="$DSR_OWNER_DB_PASSWORD" \
    -v worker_password="$DSR_WORKER_DB_PASSWORD" \
    -v api_password="$DSR_API_DB_PASSWORD" <<'SQL'
BEGIN;

SELECT format('CREATE ROLE %I', role)
  FROM unnest(ARRAY[:'owner', :'worker', :'api']) AS role
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role)
\gexec

-- ALTER as well as CREATE: a role left with more power by hand loses it here.
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
ALTER ROLE :"worker" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'worker_password';
ALTER ROLE :"api" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'api_password';

-- The one runtime role of before: it signs in no more.
SELECT format('ALTER ROLE %I NOLOGIN', rolname) FROM pg_roles WHERE rolname = :'retired'
\gexec

SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I, %I, %I',
              current_database(), :'owner', :'worker', :'api')
\gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"owner";
GRANT USAGE ON SCHEMA public TO :"worker", :"api";

-- A database migrated before the roles existed belongs to the superuser; the owner must
-- own it all to grant the other roles (the statements come from store/hand_over.sql,
-- which store/privileges.py runs too).
\i :hand_over
SELECT pg_temp.hand_over_statements(:'owner')
\gexec

COMMIT;
SQL
