"""USDⓈ-M futures market streams over real sockets, on the routed endpoints.

* The ``@depth@100ms`` diff stream replayed by the client's futures book on a REST snapshot
  equals the exchange's book after any burst of orders (hypothesis), and a diff the server
  drops (fault) is caught by the ``pu`` rule and resynced.
* ``@markPrice@1s`` says what ``premiumIndex`` says.
* A stream opened on the wrong route (``/public`` for a ``/market`` stream) never delivers.
* Each payload decodes with the client's futures structs, with no key the struct lacks.
"""

from __future__ import annotations

import asyncio
import os
import time
from decimal import Decimal as D

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim.futures.futures_helpers import futures_exchange, order
from tests.sim.futures.market_stream_helpers import (
    WAIT,
    events_until,
    futures_books,
    levels,
    pump_until_synced,
)
from tradeexec.binance.models import AggTradeEvent, DepthUpdateEvent, KlineEvent
from tradeexec.binance.models.futures_market_events import (
    ForceOrderEvent,
    FuturesBookTickerEvent,
    MarkPriceEvent,
)
from tradeexec.sim.faults import FaultKind

EXAMPLES = 40 if os.environ.get("TRADEEXEC_SOAK") == "full" else 6
SYMBOL = "BTCUSDT"

orders = st.tuples(
    st.sampled_from(["BUY", "SELL"]),
    st.integers(min_value=59_900, max_value=60_100).map(D),  # crossing prices trade
    st.integers(min_value=1, max_value=30).map(lambda n: D(n) / 10),
)


async def _replay(burst: list[tuple[str, D, D]], drop: bool) -> None:
    """The book is synced first; then the burst goes out in two parts, the diff of the first
    dropped by the server when ``drop``; then the book must reach the engine's last id."""
    async with futures_exchange() as (ex, api):
        fe = ex.state.futures
        ex.futures_add_liquidity(SYMBOL, "SELL", "60050", "2")
        books = futures_books(api)
        async with api.session.ws_connect(f"{ex.ws_url}/public/ws/btcusdt@depth@100ms") as ws:
            ex.futures_add_liquidity(SYMBOL, "BUY", "59950", "2")
            await pump_until_synced(ws, books, SYMBOL, fe.engine.last_update_id(SYMBOL))
            half = len(burst) // 2
            if drop:
                ex.inject(FaultKind.DEPTH_GAP, "btcusdt@depth@100ms", count=1)
            for side, price, qty in [*burst[:half], ("BUY", D("2"), D("0.1"))]:
                ex.futures_add_liquidity(SYMBOL, side, price, qty)
            deadline = time.monotonic() + WAIT
            while drop and not ex.fault_log:
                assert time.monotonic() < deadline, "the fault never fired"
                await asyncio.sleep(0.01)
            for i, (side, price, qty) in enumerate([*burst[half:], ("BUY", D("1"), D("0.1"))]):
                ex.futures_add_liquidity(SYMBOL, side, price, qty)
                if i % 4 == 3:
                    await asyncio.sleep(0.11)  # pacing: spread the burst over several 100 ms diffs
            book = await pump_until_synced(ws, books, SYMBOL, fe.engine.last_update_id(SYMBOL))
            await books.close()
        snap = fe.engine.depth(SYMBOL, 5000)
    assert book.bids.as_dict() == levels(snap.bids)
    assert book.asks.as_dict() == levels(snap.asks)
    assert book.last_update_id == snap.last_update_id
    assert book.resyncs == (1 if drop else 0)  # the dropped diff was noticed, not papered over


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(orders, min_size=1, max_size=30), st.booleans())
def test_diff_stream_on_a_snapshot_equals_the_exchange_book(
    burst: list[tuple[str, D, D]], drop: bool
) -> None:
    asyncio.run(_replay(burst, drop))


async def test_a_dropped_diff_is_caught_by_pu_and_resynced() -> None:
    async with futures_exchange() as (ex, api):
        books = futures_books(api)
        async with api.session.ws_connect(f"{ex.ws_url}/public/ws/btcusdt@depth@100ms") as ws:
            ex.futures_add_liquidity(SYMBOL, "BUY", "59000", "1")
            first = await events_until(ws, lambda got: len(got) >= 1)
            books.on_diff(first[0])  # waits for its snapshot
            await asyncio.wait_for(books.wait_in_sync(SYMBOL), WAIT)
            ex.inject(FaultKind.DEPTH_GAP, "btcusdt@depth@100ms", count=1)
            ex.futures_add_liquidity(SYMBOL, "BUY", "59001", "1")  # this diff is dropped
            await asyncio.sleep(0)
            while not ex.fault_log:
                await asyncio.sleep(0.01)
            ex.futures_add_liquidity(SYMBOL, "BUY", "59002", "1")
            (after,) = await events_until(ws, lambda got: len(got) >= 1)
            book = books.book(SYMBOL)
            assert after.prev_final_update_id != book.last_update_id  # what the rule sees
            books.on_diff(after)
            assert book.resyncs == 1 and book.needs_snapshot
            await asyncio.wait_for(books.wait_in_sync(SYMBOL), WAIT)
            await books.close()
        bids = levels(ex.state.futures.engine.depth(SYMBOL, 100).bids)
    assert book.bids.as_dict() == bids == {D("59000"): D("1"), D("59001"): D("1"), D("59002"): D("1")}


async def test_mark_price_stream_says_what_premium_index_says() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_set_mark_price(SYMBOL, "61234.56789")
        ex.futures_set_funding_rate(SYMBOL, "0.00031")
        url = f"{ex.ws_url}/market/stream?streams=btcusdt@markPrice@1s/ethusdt@markPrice"
        async with api.session.ws_connect(url) as ws:
            got = await events_until(ws, lambda got: any(e.symbol == SYMBOL for e in got), 5)
            rest = (await api.public("GET", "/fapi/v1/premiumIndex", {"symbol": SYMBOL})).body
    ev = next(e for e in got if isinstance(e, MarkPriceEvent) and e.symbol == SYMBOL)
    assert ev.mark_price == D(rest["markPrice"]) == D("61234.56789")
    assert ev.index_price == D(rest["indexPrice"])
    assert ev.estimated_settle_price == D(rest["estimatedSettlePrice"])
    assert ev.funding_rate == D(rest["lastFundingRate"]) == D("0.00031")
    assert ev.next_funding_time == rest["nextFundingTime"]


async def test_a_stream_on_the_wrong_route_never_delivers() -> None:
    async with futures_exchange() as (ex, api):
        wrong = await api.session.ws_connect(f"{ex.ws_url}/public/ws/btcusdt@markPrice@1s")
        right = await api.session.ws_connect(f"{ex.ws_url}/market/ws/btcusdt@markPrice@1s")
        try:
            await events_until(right, lambda got: len(got) >= 2)  # two ticks have passed
            await wrong.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
            reply = await asyncio.wait_for(wrong.receive_json(), WAIT)  # the next frame
        finally:
            await wrong.close()
            await right.close()
    assert reply == {"result": ["btcusdt@markPrice@1s"], "id": 1}


async def test_every_payload_decodes_with_the_clients_structs() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
        public = await api.session.ws_connect(f"{ex.ws_url}/public/ws")
        market = await api.session.ws_connect(f"{ex.ws_url}/market/ws")
        try:
            book_streams = ["ethusdt@bookTicker", "ethusdt@depth5"]
            await public.send_json({"method": "SUBSCRIBE", "params": book_streams, "id": 1})
            market_streams = ["ethusdt@aggTrade", "ethusdt@kline_1m", "ethusdt@forceOrder"]
            await market.send_json({"method": "SUBSCRIBE", "params": market_streams, "id": 2})
            assert await asyncio.wait_for(public.receive_json(), WAIT) == {"result": None, "id": 1}
            assert await asyncio.wait_for(market.receive_json(), WAIT) == {"result": None, "id": 2}
            raw_public: list[bytes] = []
            raw_market: list[bytes] = []
            await order(api, "ETHUSDT", "SELL", "2")
            ex.futures_set_mark_price("ETHUSDT", "3134.33")  # liquidates the isolated short
            deadline = time.monotonic() + WAIT
            kinds: set[str] = set()
            while kinds != {"bookTicker", "depthUpdate", "aggTrade", "kline", "forceOrder"}:
                assert time.monotonic() < deadline, kinds
                for ws, into in ((public, raw_public), (market, raw_market)):
                    try:
                        msg = await asyncio.wait_for(ws.receive(), 0.2)
                    except TimeoutError:
                        continue
                    into.append(msg.data.encode())
                    kinds.add(msgspec.json.decode(msg.data)["e"])
        finally:
            await public.close()
            await market.close()
    structs = {
        "bookTicker": FuturesBookTickerEvent,
        "depthUpdate": DepthUpdateEvent,
        "aggTrade": AggTradeEvent,
        "kline": KlineEvent,
        "forceOrder": ForceOrderEvent,
    }
    for raw in raw_public + raw_market:
        body = msgspec.json.decode(raw)
        model = structs[body["e"]]
        names = {"e"} | {f.encode_name for f in msgspec.structs.fields(model)}
        assert set(body) <= names, f"{model.__name__} lacks {set(body) - names}"
        msgspec.json.decode(raw, type=model)
    force = next(msgspec.json.decode(r, type=ForceOrderEvent) for r in raw_market if b'"forceOrder"' in r)
    # The liquidation order's price is the short's bankruptcy price (3,000 + 300 / 2); no ask
    # there, so the insurance fund took it all at that price.
    assert (force.order.side, force.order.quantity, force.order.price) == ("BUY", D("2"), D("3150"))
    assert (force.order.average_price, force.order.status) == (D("3150"), "FILLED")
    assert b'"M"' not in b"".join(r for r in raw_market if b'"aggTrade"' in r)
