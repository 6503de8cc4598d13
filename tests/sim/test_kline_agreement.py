"""REST klines and the kline stream describe the same candle identically.

Both are built by one aggregation (``tape.Candle``); this is the outsider's check that they
cannot drift apart: the same trades, read over both paths, give the same open, high, low,
close, volumes, taker-buy volumes and trade count.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.sim.ws_helpers import WsExchange, recv_until

pytest_plugins = ("tests.sim.conftest_ws",)


async def test_rest_klines_and_the_kline_stream_agree(wsx: WsExchange) -> None:
    minute = wsx.state.now_ms() // 60_000 * 60_000
    wsx.state.clock.freeze(minute + 1000)  # every trade lands in one candle, whenever the test runs
    wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
    wsx.liquidity("BTCUSDT", "SELL", "60100", "1")
    wsx.liquidity("BTCUSDT", "BUY", "59900", "1")
    async with wsx.http.ws_connect(f"{wsx.url}/ws/btcusdt@kline_1m") as ws:
        wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1.5")  # taker buys: 2 trades
        wsx.order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.25")  # taker sells: 1 trade

        def complete(m: dict[str, Any]) -> bool:
            return bool(m.get("e") == "kline" and m["k"]["n"] == 3)

        k = (await recv_until(ws, complete))["k"]
    async with wsx.http.get(f"{wsx.url}/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"}) as r:
        assert r.status == 200
        rows = await r.json()
    assert len(rows) == 1
    t, o, h, low, c, v, close_time, q, n, taker_v, taker_q, _ = rows[0]
    assert (t, close_time, n) == (k["t"], k["T"], k["n"])
    rest = [Decimal(x) for x in (o, h, low, c, v, q, taker_v, taker_q)]
    stream = [Decimal(k[f]) for f in ("o", "h", "l", "c", "v", "q", "V", "Q")]
    assert rest == stream
    # and both are right, not merely equal
    assert stream[:4] == [Decimal(60000), Decimal(60100), Decimal(59900), Decimal(59900)]
    assert stream[4] == Decimal("1.75") and stream[6] == Decimal("1.5")
    assert stream[5] == Decimal("60000") + Decimal("0.5") * 60100 + Decimal("0.25") * 59900
    assert stream[7] == Decimal("60000") + Decimal("0.5") * 60100
