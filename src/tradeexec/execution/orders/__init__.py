"""Orders, from a strategy's request to their end on the exchange.

``ids`` (client order IDs), ``request`` (the order request: checked, then rounded into the
journaled intent), ``state`` (THE order state machine: states, exchange-status mapping, the
transition rule, replay of a journal record), ``managed`` (``ManagedOrder``, the live view of
one order), ``resend_rule`` (when an unanswered placement may be resent), and the
``OrderManager`` in layers: ``tracking`` (folding exchange events into orders), ``resolve``
(unknown outcomes), ``reconcile`` (+ ``adopt``: start-up), ``manager`` (lifecycle, submit,
cancel, replace, poller).

Import from the modules or from ``tradeexec.execution``; this file re-exports nothing, so that
``journal.store`` can use ``orders.state`` without importing the manager.
"""
