"""All I/O: the Postgres store, the notification outbox, and the activities built on them."""
