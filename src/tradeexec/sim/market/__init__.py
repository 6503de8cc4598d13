"""The simulated market around the user's orders: the synthetic market (``synthetic``: a
random-walk mid price, market makers quoting a shaped book around it, takers trading),
the book's shape (``book_shape``: level sizes and spacing on the symbol's tick grid), the
quoter that keeps the makers' orders in that shape with small requotes (``quoter``), and the
replay of Binance public-data files (``replay``); the futures books quoted around the spot
prices (``futures_market``), and the takers' flow both share (``flow``). All of them trade
through the engine like any other account, so their trades and depth reach every stream the
same way."""

from tradeexec.sim.market.futures_market import FuturesMarket, synthetic_market
from tradeexec.sim.market.synthetic import MAKER, TAKER, PriceWalk, SyntheticMarket

__all__ = ["MAKER", "TAKER", "FuturesMarket", "PriceWalk", "SyntheticMarket", "synthetic_market"]
