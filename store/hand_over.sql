-- The one source of the schema's hand-over to its owner role: a database migrated before
-- the roles existed belongs to the superuser, and the owner must own it all to grant the
-- runtime role. Run by a superuser, it defines a function for its session alone;
-- `SELECT pg_temp.hand_over_statements(owner)` then gives one ALTER ... OWNER statement a
-- table, view, sequence or function of schema public not yet the owner's, for the caller
-- to run: store/privileges.py (ensure_roles) and deploy/postgres/10-dsr-roles.sh (\gexec).
CREATE OR REPLACE FUNCTION pg_temp.hand_over_statements(new_owner text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
SELECT format('ALTER %s %s OWNER TO %I', kind, name, new_owner)
  FROM (SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE'
                              ELSE 'TABLE' END AS kind,
               format('%I.%I', n.nspname, c.relname) AS name
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p', 'S')
           AND pg_get_userbyid(c.relowner) <> new_owner
           -- a sequence owned by a column moves with its table
           AND NOT (c.relkind = 'S' AND EXISTS (
               SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'a'))
        UNION ALL
        SELECT 'FUNCTION', p.oid::regprocedure::text
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> new_owner) AS objects
$$;
