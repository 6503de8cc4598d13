"""USDT-M perpetual futures of the local exchange: accounts and positions (``accounts``),
Binance's margin formulas (``margin``, ``brackets``), the order rules (``rules``), the figures
reported for positions and accounts (``figures``), and ``FuturesEngine``, which runs futures
orders on the shared matching engine. No HTTP here: the wire is ``sim/binance/futures_*``."""

from tradeexec.sim.futures.engine import HOUSE, FuturesEngine
from tradeexec.sim.futures.orders import FuturesFill, FuturesOrderRequest, OrderMeta, Placed

__all__ = ["HOUSE", "FuturesEngine", "FuturesFill", "FuturesOrderRequest", "OrderMeta", "Placed"]
