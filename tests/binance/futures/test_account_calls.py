"""The v3 account, positionRisk v3, leverage brackets and income calls against the local
exchange, decoded into the shared models (Decimal throughout)."""

from __future__ import annotations

from decimal import Decimal as D
from itertools import pairwise
from pathlib import Path

import pytest

from tests.binance.futures.futures_client_helpers import WALLET, futures_client
from tradeexec.errors import InvalidParameter


async def test_a_fill_shows_in_account_positions_and_income(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        assert await client.futures_position_risk_v3() == []  # flat symbols are absent
        await client.futures_new_order("BTCUSDT", "BUY", "MARKET", quantity="0.1")
        (pos,) = await client.futures_position_risk_v3("BTCUSDT")
        account = await client.futures_account_v3()
        income = await client.futures_income("BTCUSDT")
        commissions = await client.futures_income(income_type="COMMISSION")
        assert await client.futures_income(income_type="FUNDING_FEE") == []
    assert (pos.symbol, pos.position_side, pos.position_amt, pos.entry_price) == (
        "BTCUSDT",
        "BOTH",
        D("0.1"),
        D("60000"),
    )
    assert isinstance(pos.notional, D) and pos.margin_asset == "USDT"
    (usdt,) = [a for a in account.assets if a.asset == "USDT"]
    assert usdt.wallet_balance == WALLET - D("3")  # 6,000 notional * 0.0005 taker
    assert [(p.symbol, p.position_amt) for p in account.positions] == [("BTCUSDT", D("0.1"))]
    assert [(i.income_type, i.income) for i in commissions] == [("COMMISSION", D("-3"))]
    assert commissions[0] in income


async def test_leverage_brackets_for_all_symbols_or_one(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (_ex, client):
        every = await client.futures_leverage_brackets()
        one = await client.futures_leverage_brackets("BTCUSDT")
    assert len(one) == 1 and one[0].symbol == "BTCUSDT" and one[0] in every
    tiers = one[0].brackets
    assert tiers[0].bracket == 1 and tiers[0].notional_floor == 0
    assert all(a.notional_cap == b.notional_floor for a, b in pairwise(tiers))
    assert all(isinstance(t.maint_margin_ratio, D) for t in tiers)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"income_type": "PNL"}, "incomeType"),
        ({"start_time": 2, "end_time": 1}, "startTime"),
        ({"limit": 1001}, "limit"),
    ],
)
async def test_income_mistakes_are_refused_before_sending(
    kwargs: dict[str, object], field: str, tmp_path: Path
) -> None:
    async with futures_client(tmp_path) as (_ex, client):
        with pytest.raises(InvalidParameter) as err:
            await client.futures_income(**kwargs)  # type: ignore[arg-type]
        assert err.value.field == field and client.paths == []
