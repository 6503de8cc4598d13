from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from tradeexec.binance.enums import Side
from tradeexec.errors import ConfigError, OrderRejectedLocally
from tradeexec.execution.risk import (
    Exposure,
    OrderRisk,
    RiskLimitExceeded,
    RiskLimits,
    RiskManager,
    UnsafeApiKey,
)

D = Decimal


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def order(qty: str = "1", price: str = "100", mark: str | None = "100", side: Side = Side.BUY) -> OrderRisk:
    return OrderRisk("BTCUSDT", side, D(qty), D(price), None if mark is None else D(mark), is_limit=True)


def refused(rm: RiskManager, o: OrderRisk, e: Exposure | None = None) -> RiskLimitExceeded:
    with pytest.raises(RiskLimitExceeded) as info:
        rm.check_order(o, e or Exposure())
    assert isinstance(info.value, OrderRejectedLocally)
    return info.value


def test_max_order_notional_names_limit_and_values() -> None:
    rm = RiskManager(RiskLimits(max_order_notional=D(1000)))
    rm.check_order(order("10"), Exposure())
    err = refused(rm, order("10.01"))
    assert err.limit == "max_order_notional"
    assert "1001.00" in str(err) and "1000" in str(err)


def test_fat_finger_guard() -> None:
    rm = RiskManager(RiskLimits(max_price_deviation_pct=D(5)))
    rm.check_order(order(price="105"), Exposure())
    err = refused(rm, order(price="106"))
    assert err.limit == "max_price_deviation_pct" and "6.00%" in str(err) and "106" in str(err)


def test_max_position_counts_open_orders_but_allows_reducing() -> None:
    rm = RiskManager(RiskLimits(max_position={"BTCUSDT": D(5)}))
    rm.check_order(order("2"), Exposure(position=D(3)))
    err = refused(rm, order("2"), Exposure(position=D(3), pending=D(1)))
    assert err.limit == "max_position" and "6" in str(err) and "5" in str(err)
    rm.check_order(order("1", side=Side.SELL), Exposure(position=D(9)))  # reduces


def test_max_gross_exposure() -> None:
    rm = RiskManager(RiskLimits(max_gross_exposure=D(10_000)))
    rm.check_order(order("10"), Exposure(gross_exposure=D(9000)))
    err = refused(rm, order("11"), Exposure(gross_exposure=D(9000)))
    assert err.limit == "max_gross_exposure" and "10100" in str(err)


def test_max_open_orders() -> None:
    rm = RiskManager(RiskLimits(max_open_orders=2))
    rm.check_order(order(), Exposure(open_orders=1))
    assert refused(rm, order(), Exposure(open_orders=2)).limit == "max_open_orders"


def test_orders_per_second_token_bucket() -> None:
    clock = FakeClock()
    rm = RiskManager(RiskLimits(max_orders_per_second=2, order_burst=3), clock=clock)
    for _ in range(3):
        rm.check_order(order(), Exposure())
    err = refused(rm, order())
    assert err.limit == "max_orders_per_second" and "2" in str(err)
    clock.now += 0.5
    rm.check_order(order(), Exposure())
    refused(rm, order())


def test_daily_loss_trips_kill_switch_and_calls_emergency_once() -> None:
    calls: list[str] = []
    rm = RiskManager(RiskLimits(max_daily_loss=D(100)), on_kill=calls.append)
    day = 20_000 * 86_400_000
    rm.observe_pnl(D(500), day)  # baseline
    rm.observe_pnl(D(450), day + 1000)
    rm.check_order(order(), Exposure())
    rm.observe_pnl(D(400), day + 2000)
    assert rm.tripped and calls and "daily loss 100" in calls[0]
    err = refused(rm, order())
    assert err.limit == "kill_switch" and "daily loss" in str(err)
    rm.trip("again")
    assert len(calls) == 1
    rm.reset()
    rm.observe_pnl(D(0), day + 86_400_000)  # new day, new baseline
    rm.check_order(order(), Exposure())


def test_kill_switch_stops_orders_immediately() -> None:
    rm = RiskManager()
    rm.trip("operator", emergency=False)
    assert refused(rm, order()).detail == "trading stopped: operator"


@dataclass
class Restrictions:
    ip_restrict: bool = True
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    permits_universal_transfer: bool = False


def test_key_permissions() -> None:
    rm = RiskManager()
    rm.check_key_permissions(Restrictions())
    rm.check_key_permissions(Restrictions(ip_restrict=False), local_exchange=True)  # local keys have none
    rm.check_order(order(), Exposure())
    strict = RiskManager(RiskLimits(require_ip_restriction=True))
    with pytest.raises(UnsafeApiKey) as info:
        strict.check_key_permissions(Restrictions(ip_restrict=False, enable_withdrawals=True))
    assert "enableWithdrawals" in str(info.value) and "IP restriction" in str(info.value)
    assert isinstance(info.value, ConfigError)
    assert refused(strict, order()).limit == "api_key_permissions"
    for bad in (
        Restrictions(enable_withdrawals=True),
        Restrictions(enable_internal_transfer=True),
        Restrictions(permits_universal_transfer=True),
    ):
        with pytest.raises(UnsafeApiKey):
            rm.check_key_permissions(bad)
        assert refused(rm, order()).limit == "api_key_permissions"
        RiskManager(RiskLimits(allow_fund_moving_key=True)).check_key_permissions(bad)
    rm.check_key_permissions(Restrictions())  # a safe key clears the refusal
    rm.check_order(order(), Exposure())
