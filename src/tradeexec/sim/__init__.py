"""The local Binance-compatible exchange: ``LocalExchange`` (``exchange``) and ``SimConfig``
(``config``) are the entry points; ``tradeexec sim serve`` runs the same thing from the CLI.

Layers, each depending only on those above it in this list:

* ``engine/``: the matching engine, pure and deterministic (book, matching loop, stop
  triggers, OCO lists, balances); knows nothing of HTTP or of Binance's JSON.
* ``clock``, ``config``, ``faults``, ``limits``, ``params``, ``tape``: the simulated clock,
  configuration, injected failures, server-side rate limits, request parameters and
  Binance's errors, the public trade history (klines, tickers).
* ``state``: ``SimState``, what every transport shares (engine, keys, rules, event bus).
* ``market/``: the simulated market around the user's orders (synthetic market, book shape,
  quoter, replay of Binance public data), trading through the engine like any account.
* ``binance/``: Binance's API on top of the state: the endpoint families (``service``),
  the wire encodings (``views``, ``formats``), the WebSocket API, market and user data
  streams.
* ``server`` (the aiohttp app: REST routes and the admin API), ``admin`` (operator controls),
  ``exchange`` (``LocalExchange``, which runs it all).
"""

from tradeexec.sim.config import SimConfig
from tradeexec.sim.exchange import LocalExchange

__all__ = ["LocalExchange", "SimConfig"]
