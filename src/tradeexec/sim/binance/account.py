"""Account endpoints: account information, the order rate limits, the /sapi account status,
trading status and key restrictions."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.models import (
    Account,
    AccountStatus,
    ApiRestrictions,
    ApiTradingStatus,
    AssetBalance,
    CommissionRates,
    RateLimitOrderCount,
    SystemStatus,
)
from tradeexec.binance.models.wire import (
    WireAccount,
    WireApiRestrictions,
    WireApiTradingStatusDetail,
    fixed8,
)
from tradeexec.sim.binance.dispatch import ServiceBase
from tradeexec.sim.params import Params
from tradeexec.sim.state import ApiAccount

_ZERO8 = fixed8(Decimal(0))


class AccountOps(ServiceBase):
    """The account and /sapi account-status endpoints."""

    def account(self, p: Params, account: ApiAccount | None) -> Account:
        assert account is not None
        omit_zero = p.boolean("omitZeroBalances") or False
        p.ensure_all_read()
        maker, taker = self.state.engine.commissions(account.account)
        balances = [
            AssetBalance(asset=asset, free=fixed8(b.free), locked=fixed8(b.locked))
            for asset, b in sorted(self.state.engine.balances(account.account).items())
            if not omit_zero or b.free or b.locked
        ]
        perms = account.permissions
        return WireAccount(
            maker_commission=int(maker * 10_000),
            taker_commission=int(taker * 10_000),
            buyer_commission=0,
            seller_commission=0,
            commission_rates=CommissionRates(
                maker=fixed8(maker), taker=fixed8(taker), buyer=_ZERO8, seller=_ZERO8
            ),
            can_trade=perms.enable_spot_trading,
            can_withdraw=perms.enable_withdrawals,
            can_deposit=True,
            brokered=False,
            require_self_trade_prevention=False,
            prevent_sor=False,
            update_time=self._now(),
            account_type="SPOT",
            balances=balances,
            permissions=["SPOT"],
            uid=_uid(account.account),
        )

    def rate_limit_order(self, p: Params, account: ApiAccount | None) -> list[RateLimitOrderCount]:
        assert account is not None
        p.ensure_all_read()
        return self.state.limiter.order_usage(account.account)

    def system_status(self, p: Params, _: ApiAccount | None) -> SystemStatus:
        p.ensure_all_read()
        if self.state.faults.maintenance or self.state.maintenance:
            return SystemStatus(status=SystemStatus.MAINTENANCE, msg="system_maintenance")
        return SystemStatus(status=SystemStatus.NORMAL, msg="normal")

    def account_status(self, p: Params, account: ApiAccount | None) -> AccountStatus:
        p.ensure_all_read()
        return AccountStatus(data="Normal")

    def api_trading_status(self, p: Params, account: ApiAccount | None) -> ApiTradingStatus:
        p.ensure_all_read()
        return ApiTradingStatus(
            data=WireApiTradingStatusDetail(
                is_locked=False,
                planned_recover_time=0,
                trigger_condition={"GCR": 150, "IFER": 150, "UFR": 300},
                update_time=0,
            )
        )

    def api_restrictions(self, p: Params, account: ApiAccount | None) -> ApiRestrictions:
        assert account is not None
        p.ensure_all_read()
        perms = account.permissions
        return WireApiRestrictions(
            ip_restrict=perms.ip_restrict,
            create_time=perms.create_time,
            enable_reading=perms.enable_reading,
            enable_spot_and_margin_trading=perms.enable_spot_trading,
            enable_withdrawals=perms.enable_withdrawals,
            enable_internal_transfer=perms.enable_internal_transfer,
            enable_margin=False,
            enable_futures=False,
            permits_universal_transfer=perms.enable_internal_transfer,
            enable_vanilla_options=False,
            enable_fix_api_trade=False,
            enable_fix_read_only=False,
            enable_portfolio_margin_trading=False,
        )


def _uid(account: str) -> int:
    return int.from_bytes(account.encode()[:6].ljust(6, b"\0"), "big") % 1_000_000_000
