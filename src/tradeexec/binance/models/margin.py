"""Cross and isolated margin responses (``/sapi/v1/margin/*``). Margin orders share the spot
order shapes and add the isolated flag and the automatic borrow a MARGIN_BUY caused."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.models.account import AssetBalance
from tradeexec.binance.models.base import Model
from tradeexec.binance.models.orders import Order, OrderFull


class TranIdResponse(Model, frozen=True, kw_only=True):
    """``{"tranId": ...}``: margin transfer, borrow, repay (old and ``borrow-repay``)."""

    tran_id: int


MarginTransferResponse = TranIdResponse
MarginLoanResponse = TranIdResponse
MarginRepayResponse = TranIdResponse


class MarginAsset(AssetBalance, frozen=True, kw_only=True):
    borrowed: Decimal
    interest: Decimal
    net_asset: Decimal


class MarginAccount(Model, frozen=True, kw_only=True):
    """``GET /sapi/v1/margin/account`` (cross margin)."""

    borrow_enabled: bool
    margin_level: Decimal
    total_asset_of_btc: Decimal
    total_liability_of_btc: Decimal
    total_net_asset_of_btc: Decimal
    trade_enabled: bool
    transfer_enabled: bool
    user_assets: list[MarginAsset]
    created: bool | None = None
    account_type: str | None = None


class MarginOrderResponse(OrderFull, frozen=True, kw_only=True):
    """``POST /sapi/v1/margin/order`` with RESULT or FULL (an ACK decodes as ``OrderAck``).
    Margin answers omit ``orderListId``, which then reads -1."""

    is_isolated: bool | None = None
    margin_buy_borrow_amount: Decimal | None = None
    margin_buy_borrow_asset: str | None = None


class MarginOrder(Order, frozen=True, kw_only=True):
    """``GET /sapi/v1/margin/order``, ``openOrders``, ``allOrders``."""

    is_isolated: bool | None = None
