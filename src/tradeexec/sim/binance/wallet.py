"""The account and wallet endpoints that clients read when they start, and the product lists
of what this exchange does not offer.

Trading engines and libraries read fees, coin configuration and account status before their
first order (a well-known engine calls ``GET /sapi/v1/asset/tradeFee`` first; ccxt's default
``load_markets`` calls ``/sapi/v1/capital/config/getall`` and the futures and margin pair
lists). Each answer has Binance's shape and this exchange's real figures: the fees are the
account's configured rates, the coins are the assets of the listed symbols with the
account's balances. Deposits and withdrawals are shown disabled, and the margin pair lists
answer as Binance does for a product with nothing in it (USDT-M futures are served by
``futures_public``; COIN-M answers an exchangeInfo without symbols there).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import SecurityType
from tradeexec.sim.binance.dispatch import ServiceBase
from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.binance.views import dec
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import ApiAccount

# Parameters a client may sign a request with whatever its security type; the lists below
# read them so that a client that signs every /sapi request (ccxt does) is not refused.
_SIGNING = ("timestamp", "recvWindow", "signature")


def wallet_operations() -> tuple[Operation, ...]:
    """The operations of this module, for ``service.OPERATIONS``."""
    m, u = SecurityType.MARKET_DATA, SecurityType.USER_DATA
    return (
        Operation("account_commission", "GET", "/api/v3/account/commission", u, 20, "account.commission"),
        Operation("trade_fee", "GET", "/sapi/v1/asset/tradeFee", u, 1),
        Operation("asset_detail", "GET", "/sapi/v1/asset/assetDetail", u, 1),
        Operation("capital_config", "GET", "/sapi/v1/capital/config/getall", u, 10),
        Operation("margin_pairs", "GET", "/sapi/v1/margin/allPairs", m, 1),
        Operation("isolated_margin_pairs", "GET", "/sapi/v1/margin/isolated/allPairs", u, 10),
    )


def _rate(value: Decimal) -> str:
    """A fee rate as /sapi writes it: "0.001", no trailing zeros."""
    return format(value.normalize(), "f")


class WalletOps(ServiceBase):
    """Mixed into ``Service``: handlers named by :func:`wallet_operations`."""

    def _fees(self, account: ApiAccount | None) -> tuple[Decimal, Decimal]:
        assert account is not None
        return self.state.engine.commissions(account.account)

    def account_commission(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        symbol = self._symbol(p)
        p.ensure_all_read()
        maker, taker = self._fees(account)
        zero = dec(Decimal(0))
        none = {"maker": zero, "taker": zero, "buyer": zero, "seller": zero}
        return {
            "symbol": symbol,
            "standardCommission": {"maker": dec(maker), "taker": dec(taker), "buyer": zero, "seller": zero},
            "specialCommission": dict(none),
            "taxCommission": dict(none),
            # No BNB discount is applied here, so none is advertised.
            "discount": {
                "enabledForAccount": False,
                "enabledForSymbol": False,
                "discountAsset": "BNB",
                "discount": dec(Decimal(0)),
            },
        }

    def trade_fee(self, p: Params, account: ApiAccount | None) -> list[dict[str, str]]:
        symbols = [self._symbol(p)] if p.get("symbol") is not None else list(self.state.symbol_info)
        p.ensure_all_read()
        maker, taker = self._fees(account)
        fee = {"makerCommission": _rate(maker), "takerCommission": _rate(taker)}
        return [{"symbol": s, **fee} for s in symbols]

    def _assets(self) -> list[str]:
        infos = self.state.symbol_info.values()
        return sorted({a for i in infos for a in (i["baseAsset"], i["quoteAsset"])})

    def asset_detail(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        wanted = p.get("asset")
        p.ensure_all_read()
        assets = self._assets()
        if wanted is not None:
            if wanted not in assets:
                raise ApiError(-1121, "Invalid symbol.")
            assets = [wanted]
        return {
            a: {
                "minWithdrawAmount": dec(Decimal(0)),
                "depositStatus": False,
                "withdrawFee": 0,
                "withdrawStatus": False,
                "depositTip": "The local exchange has no deposits or withdrawals.",
            }
            for a in assets
        }

    def capital_config(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        p.ensure_all_read()
        balances = self.state.engine.balances(account.account)
        zero = dec(Decimal(0))
        out = []
        for asset in sorted({*self._assets(), *balances}):
            b = balances.get(asset)
            out.append(
                {
                    "coin": asset,
                    "depositAllEnable": False,
                    "withdrawAllEnable": False,
                    "name": asset,
                    "free": dec(b.free) if b else zero,
                    "locked": dec(b.locked) if b else zero,
                    "freeze": zero,
                    "withdrawing": zero,
                    "ipoing": zero,
                    "ipoable": zero,
                    "storage": zero,
                    "isLegalMoney": False,
                    "trading": True,
                    "networkList": [],
                }
            )
        return out

    def margin_pairs(self, p: Params, _: ApiAccount | None) -> list[Any]:
        p.mark_read("symbol", *_SIGNING)
        p.ensure_all_read()
        return []

    def isolated_margin_pairs(self, p: Params, _: ApiAccount | None) -> list[Any]:
        p.mark_read("symbol")
        p.ensure_all_read()
        return []
