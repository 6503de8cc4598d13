"""USDT-M futures positions, trades and the v3 account (``/fapi/v3/positionRisk``,
``/fapi/v3/account``, ``/fapi/v1/userTrades``, ``/fapi/v1/symbolConfig``): the shapes of the
current documentation, shared by the local exchange (encoding) and the client (decoding)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.models.base import Model
from tradeexec.binance.models.futures import FuturesAccountAsset, FuturesTotals


class PositionRiskV3(Model, frozen=True, kw_only=True):
    """``GET /fapi/v3/positionRisk``: only symbols with a position or open orders."""

    symbol: str
    position_side: str
    position_amt: Decimal
    entry_price: Decimal
    break_even_price: Decimal
    mark_price: Decimal
    un_realized_profit: Decimal
    liquidation_price: Decimal
    isolated_margin: Decimal
    notional: Decimal
    margin_asset: str
    isolated_wallet: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    adl: int
    bid_notional: Decimal
    ask_notional: Decimal
    update_time: int


class AccountPositionV3(Model, frozen=True, kw_only=True):
    """A ``positions`` entry of ``GET /fapi/v3/account``."""

    symbol: str
    position_side: str
    position_amt: Decimal
    unrealized_profit: Decimal
    isolated_margin: Decimal
    notional: Decimal
    isolated_wallet: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    update_time: int


class FuturesAccountV3(FuturesTotals, frozen=True, kw_only=True):
    """``GET /fapi/v3/account`` (single-asset mode)."""

    assets: list[FuturesAccountAsset] = msgspec.field(default_factory=list)
    positions: list[AccountPositionV3] = msgspec.field(default_factory=list)


class FuturesTrade(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/userTrades`` entry: every fill with its realized PnL and commission."""

    buyer: bool
    commission: Decimal
    commission_asset: str
    id: int
    maker: bool
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    realized_pnl: Decimal
    side: str
    position_side: str
    symbol: str
    time: int


class FuturesIncome(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/income`` row: realized PnL, commission, funding fee and the rest."""

    symbol: str
    income_type: str
    income: Decimal
    asset: str
    info: str
    time: int
    tran_id: int
    trade_id: str


class FuturesSymbolConfig(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/symbolConfig`` entry: the account's settings for one symbol, the only
    read that names the leverage and margin type of a symbol (positionRisk v3 carries neither).

    The documentation writes ``isAutoAddMargin`` as the text ``"false"``; a JSON boolean is
    taken as well, so the decoding never hangs on which of the two the exchange sends."""

    symbol: str
    margin_type: str  # CROSSED / ISOLATED
    is_auto_add_margin: bool | str
    leverage: int
    max_notional_value: Decimal

    @property
    def auto_add_margin(self) -> bool:
        flag = self.is_auto_add_margin
        return flag if isinstance(flag, bool) else flag.lower() == "true"
