"""``tradeexec`` run in-process with bad arguments: exit 2, an ``error:`` line and a ``hint:``
line on stderr, no traceback, and an exchange left as it was."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeexec.cli.main import main

from . import UNICODE_JUNK, FuzzExchange, fuzz_exchange, fuzz_settings

pytestmark = pytest.mark.timeout(180)
FUZZ = fuzz_settings(50)

# Text argparse passes through as a value (not an option) but that is no valid number.
bad_decimal_text = st.one_of(
    st.sampled_from(["0", "-1", "-0.5", "NaN", "sNaN", "inf", "-Infinity", "abc", "", " ", "1,5", "１２",
                     "1e999999", "0.0000001", "1E+30", "1E-30", "0x10", "1.2.3", "½"]),
    UNICODE_JUNK,
)  # fmt: skip
# Symbols the command refuses before sending: empty, or with spaces or control characters.
malformed_symbols = st.one_of(
    st.sampled_from(["", " ", "BTC USDT", "BTCUSDT\t", "\x00", "BTC\nUSDT", "BTC\u2028USDT"]),
    st.text(min_size=1, max_size=10).map(lambda s: f"{s} X"),
)
# Symbols that are well formed but not listed: an order (checked against exchangeInfo) is refused.
unlisted_symbols = st.one_of(
    st.sampled_from(["XXXUSDT", "BTC/USDT", "币安", "ＢＴＣＵＳＤＴ", "B" * 300]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12).filter(
        lambda s: s not in ("BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC")
    ),
)
bad_words = st.one_of(
    st.sampled_from(["", "limit maker", "GTX", "IOC\x00", "ICEBERG", "FOK,GTC"]), UNICODE_JUNK
)


@pytest.fixture(scope="module")
def fx() -> Iterator[FuzzExchange]:
    keys = ("BINANCE_API_KEY", "BINANCE_API_SECRET", "TRADEEXEC_VENUE", "BINANCE_PRIVATE_KEY_PATH")
    saved = {k: os.environ.pop(k, None) for k in keys}
    with fuzz_exchange() as x:
        os.environ["BINANCE_API_KEY"] = x.ex.api_key
        os.environ["BINANCE_API_SECRET"] = x.ex.api_secret
        try:
            yield x
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None)
                if v is not None:
                    os.environ[k] = v


def refused(fx: FuzzExchange, *args: str) -> str:
    """Run ``tradeexec --base-url <sim> ARGS``; it must exit 2 with one error and one hint."""
    out, err = io.StringIO(), io.StringIO()
    before = fx.fingerprint()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--base-url", fx.ex.rest_url, *args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    text = err.getvalue()
    assert "Traceback" not in text and fx.ex.api_secret not in text + out.getvalue(), text
    assert code == 2, f"exit {code} for {args!r}: {text}"
    lines = text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), text
    assert fx.fingerprint() == before, f"the exchange changed for {args!r}"
    return lines[0]


SIDES = st.sampled_from(["buy", "sell"])


@FUZZ
@given(
    side=st.one_of(SIDES, st.sampled_from(["BUY", "hold", "", "b"])),
    symbol=st.one_of(st.just("BTCUSDT"), malformed_symbols, unlisted_symbols),
    qty=st.one_of(st.just("0.001"), bad_decimal_text),
    price=st.one_of(st.none(), st.just("60000"), bad_decimal_text),
    kind=st.one_of(st.none(), bad_words),
    tif=st.one_of(st.none(), bad_words),
)
def test_order_refuses_bad_arguments(
    fx: FuzzExchange, side: str, symbol: str, qty: str, price: str | None, kind: str | None, tif: str | None
) -> None:
    good = (side.lower() in ("buy", "sell"), symbol == "BTCUSDT", qty == "0.001", price in (None, "60000"),
            kind is None, tif is None or price is None)  # fmt: skip
    if all(good):
        kind = "STOP"  # every other argument is fine: make one bad
    args = ["order", side, symbol, qty]
    for flag, value in (("--price", price), ("--type", kind), ("--tif", tif)):
        if value is not None:
            args.append(f"{flag}={value}")
    refused(fx, *args)


@FUZZ
@given(
    symbol=st.one_of(st.just("BTCUSDT"), malformed_symbols),
    order_id=st.one_of(st.none(), st.sampled_from(["-1", "x", "1.5", "", "99999999999999999999999", "0x1"])),
    every=st.booleans(),
)
def test_cancel_refuses_bad_arguments(
    fx: FuzzExchange, symbol: str, order_id: str | None, every: bool
) -> None:
    if symbol == "BTCUSDT" and order_id is None and every:
        order_id = "7"  # cancel one and --all together
    args = ["cancel", symbol, *([] if order_id is None else [order_id]), *(["--all"] if every else [])]
    refused(fx, *args)


@FUZZ
@given(symbol=malformed_symbols)
def test_price_refuses_malformed_symbols(fx: FuzzExchange, symbol: str) -> None:
    refused(fx, "price", symbol)


@FUZZ
@given(
    symbol=st.one_of(st.just("BTCUSDT"), malformed_symbols),
    depth=st.sampled_from(["0", "-5", "x", "", "1.5", "10000", "99999999999999999999"]),
)
def test_book_refuses_bad_depth(fx: FuzzExchange, symbol: str, depth: str) -> None:
    refused(fx, "book", symbol, f"--depth={depth}")


@FUZZ
@given(
    symbol=st.one_of(st.just("BTCUSDT"), malformed_symbols),
    interval=st.one_of(st.just("1h"), bad_words, st.sampled_from(["1H", "2m", "0s", "1y"])),
    start=st.one_of(st.just("1704067200000"), st.sampled_from(["", "yesterday", "2024-13-01", "-5", "1e3"])),
    end=st.one_of(st.none(), st.sampled_from(["1000", "2023-01-01", "x"])),
)
def test_klines_refuses_bad_arguments(
    fx: FuzzExchange, symbol: str, interval: str, start: str, end: str | None
) -> None:
    if (symbol, interval, start) == ("BTCUSDT", "1h", "1704067200000") and end is None:
        end = "1000"  # before --start
    refused(fx, "klines", symbol, interval, f"--start={start}", *([] if end is None else [f"--end={end}"]))


# Digits of other scripts ("٣", "３", "৩"), alone or mixed with ASCII ones: Python's int(),
# float() and Decimal() read them all as numbers, so without a check "٣" would be 3.
unicode_digits = st.tuples(
    st.text(alphabet="0123456789", max_size=3),
    st.text(st.characters(whitelist_categories=("Nd",), min_codepoint=0x80), min_size=1, max_size=4),
).map("".join)
NUMERIC_OPTIONS = (
    ("book", "BTCUSDT", "--depth={}"),
    ("cancel", "BTCUSDT", "{}"),
    ("klines", "BTCUSDT", "1h", "--start={}"),
    ("klines", "BTCUSDT", "1h", "--start=1704067200000", "--end={}"),
    ("order", "buy", "BTCUSDT", "{}"),
    ("order", "buy", "BTCUSDT", "0.001", "--price={}"),
    ("stream", "btcusdt@trade", "--count={}"),
    ("stream", "btcusdt@trade", "--duration={}"),
    ("demo", "--duration={}"),
    ("sim", "serve", "--port={}"),
)


@FUZZ
@given(digits=unicode_digits, command=st.sampled_from(NUMERIC_OPTIONS))
def test_numbers_in_other_scripts_are_refused(
    fx: FuzzExchange, digits: str, command: tuple[str, ...]
) -> None:
    error = refused(fx, *(word.format(digits) for word in command))
    assert "non-ASCII" in error, error


def test_an_arabic_indic_three_is_not_three(fx: FuzzExchange) -> None:
    assert "'٣' has non-ASCII characters" in refused(fx, "book", "BTCUSDT", "--depth=٣")
