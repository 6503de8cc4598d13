"""The local Binance-compatible exchange."""

from tradeexec.sim.config import SimConfig
from tradeexec.sim.exchange import LocalExchange

__all__ = ["LocalExchange", "SimConfig"]
