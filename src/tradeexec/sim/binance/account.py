"""Account endpoints: account information, the order rate limits, the /sapi account status,
trading status and key restrictions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.sim.binance import views
from tradeexec.sim.binance.dispatch import ServiceBase
from tradeexec.sim.params import Params
from tradeexec.sim.state import ApiAccount


class AccountOps(ServiceBase):
    """The account and /sapi account-status endpoints."""

    def account(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        omit_zero = p.boolean("omitZeroBalances") or False
        p.ensure_all_read()
        maker, taker = self.state.engine.commissions(account.account)
        balances = [
            {"asset": asset, "free": views.dec(b.free), "locked": views.dec(b.locked)}
            for asset, b in sorted(self.state.engine.balances(account.account).items())
            if not omit_zero or b.free or b.locked
        ]
        perms = account.permissions
        return {
            "makerCommission": int(maker * 10_000),
            "takerCommission": int(taker * 10_000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": views.dec(maker),
                "taker": views.dec(taker),
                "buyer": views.dec(Decimal(0)),
                "seller": views.dec(Decimal(0)),
            },
            "canTrade": perms.enable_spot_trading,
            "canWithdraw": perms.enable_withdrawals,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self._now(),
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": _uid(account.account),
        }

    def rate_limit_order(self, p: Params, account: ApiAccount | None) -> list[dict[str, object]]:
        assert account is not None
        p.ensure_all_read()
        return self.state.limiter.order_usage_json(account.account)

    def system_status(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        if self.state.faults.maintenance:
            return {"status": 1, "msg": "system_maintenance"}
        return {"status": 0, "msg": "normal"}

    def account_status(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {"data": "Normal"}

    def api_trading_status(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {
            "data": {
                "isLocked": False,
                "plannedRecoverTime": 0,
                "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
                "updateTime": 0,
            }
        }

    def api_restrictions(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        p.ensure_all_read()
        perms = account.permissions
        return {
            "ipRestrict": perms.ip_restrict,
            "createTime": perms.create_time,
            "enableReading": perms.enable_reading,
            "enableSpotAndMarginTrading": perms.enable_spot_trading,
            "enableWithdrawals": perms.enable_withdrawals,
            "enableInternalTransfer": perms.enable_internal_transfer,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": perms.enable_internal_transfer,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enablePortfolioMarginTrading": False,
        }


def _uid(account: str) -> int:
    return int.from_bytes(account.encode()[:6].ljust(6, b"\0"), "big") % 1_000_000_000
