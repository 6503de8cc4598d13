"""The futures user data events decoded from samples written here in the shapes of Binance's
"User Data Streams" event pages (values invented): the variants the local exchange does not
produce (its own are decoded off the real stream in tests/sim/futures/test_stream_events.py)."""

from __future__ import annotations

from decimal import Decimal as D

import msgspec
import pytest

from tradeexec.binance.models import (
    FUTURES_USER_EVENT_DECODER,
    AccountConfigUpdate,
    AlgoUpdate,
    ListenKeyExpired,
    MarginCall,
    TradeLite,
)


def _decode(sample: dict[str, object]) -> object:
    return FUTURES_USER_EVENT_DECODER.decode(msgspec.json.encode(sample))


def test_trade_lite() -> None:
    event = _decode(
        {
            "e": "TRADE_LITE",
            "E": 1800000000100,
            "T": 1800000000090,
            "s": "ETHUSDT",
            "q": "0.500",
            "p": "0",
            "m": True,
            "c": "my-order-7",
            "S": "SELL",
            "L": "3012.45",
            "l": "0.125",
            "t": 4242,
            "i": 77,
        }
    )
    assert isinstance(event, TradeLite)
    assert (event.symbol, event.order_id, event.client_order_id, event.side) == (
        "ETHUSDT",
        77,
        "my-order-7",
        "SELL",
    )
    assert (event.last_filled_qty, event.last_filled_price, event.is_maker) == (
        D("0.125"),
        D("3012.45"),
        True,
    )


def test_algo_update_before_and_after_the_trigger() -> None:
    waiting = {
        "e": "ALGO_UPDATE",
        "T": 1800000000000,
        "E": 1800000000005,
        "o": {
            "caid": "stop-1",
            "aid": 9001,
            "at": "CONDITIONAL",
            "o": "STOP_MARKET",
            "s": "BTCUSDT",
            "S": "SELL",
            "ps": "BOTH",
            "f": "GTC",
            "q": "0.2",
            "X": "NEW",
            "ai": "",
            "tp": "59000",
            "p": "0",
            "V": "EXPIRE_MAKER",
            "wt": "MARK_PRICE",
            "pm": "NONE",
            "cp": False,
            "pP": False,
            "R": True,
            "tt": 0,
            "gtd": 0,
        },
    }
    event = _decode(waiting)
    assert isinstance(event, AlgoUpdate)
    o = event.order
    assert (o.algo_id, o.client_algo_id, o.algo_status, o.trigger_price) == (
        9001,
        "stop-1",
        "NEW",
        D("59000"),
    )
    assert o.reduce_only and o.actual_order_id == "" and o.actual_filled_qty == 0
    fired = {
        **waiting,
        "o": {
            **waiting["o"],
            "X": "FINISHED",
            "ai": "123456",
            "ap": "58990.1",
            "aq": "0.2",
            "act": "MARKET",
            "tt": 1800000000500,
        },
    }  # type: ignore[dict-item]
    done = _decode(fired)
    assert isinstance(done, AlgoUpdate)
    assert (done.order.actual_order_id, done.order.actual_avg_price, done.order.actual_filled_qty) == (
        "123456",
        D("58990.1"),
        D("0.2"),
    )
    assert done.order.actual_order_type == "MARKET" and done.order.trigger_time == 1800000000500


def test_margin_call_crossed_and_isolated() -> None:
    crossed = _decode(
        {
            "e": "MARGIN_CALL",
            "E": 1800000000000,
            "cw": "12.5",
            "p": [
                {
                    "s": "BTCUSDT",
                    "ps": "LONG",
                    "pa": "0.3",
                    "mt": "CROSSED",
                    "iw": "0",
                    "mp": "51000.5",
                    "up": "-2700.1",
                    "mm": "60.2",
                }
            ],
        }
    )
    assert isinstance(crossed, MarginCall) and crossed.cross_wallet_balance == D("12.5")
    (pos,) = crossed.positions
    assert (pos.symbol, pos.position_amt, pos.maintenance_margin, pos.unrealized_pnl) == (
        "BTCUSDT",
        D("0.3"),
        D("60.2"),
        D("-2700.1"),
    )
    isolated = _decode({"e": "MARGIN_CALL", "E": 1, "p": []})
    assert isinstance(isolated, MarginCall) and isolated.cross_wallet_balance is None


def test_account_config_update_leverage_or_multi_assets() -> None:
    lev = _decode({"e": "ACCOUNT_CONFIG_UPDATE", "E": 2, "T": 1, "ac": {"s": "ETHUSDT", "l": 20}})
    assert isinstance(lev, AccountConfigUpdate) and lev.account_config is None
    assert lev.symbol_config is not None and (lev.symbol_config.symbol, lev.symbol_config.leverage) == (
        "ETHUSDT",
        20,
    )
    multi = _decode({"e": "ACCOUNT_CONFIG_UPDATE", "E": 2, "T": 1, "ai": {"j": False}})
    assert isinstance(multi, AccountConfigUpdate) and multi.symbol_config is None
    assert multi.account_config is not None and multi.account_config.multi_assets_mode is False


def test_listen_key_expired_and_unknown_events() -> None:
    expired = _decode({"e": "listenKeyExpired", "E": 3, "listenKey": "k1"})
    assert isinstance(expired, ListenKeyExpired) and expired.listen_key == "k1"
    with pytest.raises(msgspec.ValidationError):
        _decode({"e": "executionReport", "E": 3})  # a spot event is not a futures one
