"""The synthetic market moves prices and fills resting user orders; replay prints history."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from tests.sim.conftest import quiet_config
from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.sim import LocalExchange
from tradeexec.sim.engine import OrderRequest
from tradeexec.sim.market import SyntheticMarket
from tradeexec.sim.market.replay import play, read


def test_synthetic_market_is_seeded_and_moves() -> None:
    def path() -> list[Decimal | None]:
        ex = LocalExchange(quiet_config(), market=False)
        # Market time stands still between steps: each covers one interval, however long
        # the machine took (a round scales with the market time that passed).
        ex.state.clock.freeze()
        m = SyntheticMarket(ex.state, seed=7)
        out = []
        for _ in range(30):
            m.step()
            out.append(ex.state.engine.last_price("BTCUSDT"))
        return out

    first = path()
    assert first == path()
    assert len({p for p in first if p is not None}) > 1
    ex = LocalExchange(quiet_config(), market=False)
    m = SyntheticMarket(ex.state, seed=7)
    m.step()
    snap = ex.state.engine.depth("BTCUSDT", 10)
    assert len(snap.bids) == 10 and len(snap.asks) == 10 and snap.bids[0][0] < snap.asks[0][0]


async def test_resting_user_order_fills_within_bounded_time() -> None:
    cfg = quiet_config()
    cfg.market.enabled = True
    cfg.market.interval_s = 0.01
    cfg.market.volatility = 0.01
    async with LocalExchange(cfg, market=True) as ex:
        engine = ex.state.engine
        for _ in range(200):
            if engine.last_price("BTCUSDT") is not None:
                break
            await asyncio.sleep(0.01)
        snap = engine.depth("BTCUSDT", 1)
        price = snap.bids[0][0]  # join the best bid; the walk and the takers reach it
        placed = engine.place(
            ex.account,
            OrderRequest(
                "BTCUSDT",
                Side.BUY,
                OrderType.LIMIT,
                quantity=Decimal("0.001"),
                price=price,
                time_in_force=TimeInForce.GTC,
            ),
            ex.state.now_ms(),
        )
        ex.state.publish(placed.events)
        for _ in range(1000):
            order = engine.get_order(ex.account, "BTCUSDT", order_id=placed.order.order_id)
            if order.status == "FILLED":
                break
            await asyncio.sleep(0.01)
        assert order.status == "FILLED"


async def test_replay_trades_and_klines_csv(tmp_path: Path) -> None:
    trades = tmp_path / "BTCUSDT-trades.csv"
    trades.write_text(
        "1,60000.00,0.1,6000,1700000000000,true,true\n2,60010.50,0.2,12002.1,1700000000500,false,true\n"
    )
    klines = tmp_path / "BTCUSDT-1m.csv"
    klines.write_text("1700000000000,60000,60100,59900,60050,10,1700000059999,600000,100,5,300000,0\n")
    ex = LocalExchange(quiet_config(), market=False)
    assert await play(ex.state, [("BTCUSDT", read(trades)[1])], speed=0) == 2
    assert ex.state.engine.last_price("BTCUSDT") == Decimal("60010.50")
    assert await play(ex.state, [("BTCUSDT", read(klines)[1])], speed=0) == 4
    assert ex.state.engine.last_price("BTCUSDT") == Decimal("60050")
    prints = [t.price for t in ex.state.tape.trades("BTCUSDT")]
    # each print may trade with several resting orders at its price: collapse the repeats
    path = [p for i, p in enumerate(prints) if i == 0 or p != prints[i - 1]]
    assert path == [Decimal(x) for x in ("60000", "60010.50", "60000", "60100", "59900", "60050")]
