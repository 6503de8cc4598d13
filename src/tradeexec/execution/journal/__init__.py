"""The order journal: the durable, append-only record an order manager writes before it sends
anything, and reads back after a crash.

``store`` (``Journal``: SQLite storage), ``records`` (what a row says), ``rows`` (SQL and
row mapping), ``schema`` (tables, version, migrations), ``lock`` (one writer, lost-row
watermark), ``wal`` (damaged write-ahead log vs a torn tail), ``guard`` (the manager's
behaviour while the journal cannot be written). Replaying a record into an order's state is
the state machine's job: ``orders.state.derive_state``.

Import from the modules (``from tradeexec.execution.journal.store import Journal``) or from
``tradeexec.execution``; this file re-exports nothing, so that importing one part does not
pull in the rest (``store`` depends on ``orders.state``, and ``orders`` on the store).
"""
