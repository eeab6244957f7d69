"""PostgreSQL: every SQL statement of the service and its migrations: the event chain and
its projections, intake, holdings and the registers, the outbox, sealing and keys, roles."""
