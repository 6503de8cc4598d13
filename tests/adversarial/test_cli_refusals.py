"""Orders the ``tradeexec`` command must refuse before anything is sent (exit 2), run as
subprocesses against a local exchange of their own: numbers not written in plain decimal
notation, and prices outside the exchange's PERCENT_PRICE_BY_SIDE band."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import msgspec
import pytest

from tradeexec.binance.rest.params import check_decimal
from tradeexec.errors import InvalidParameter
from tradeexec.execution.signals import decode_signal

from ..cli import Run, Sim, admin, base_env, run_cli, sim_serve

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(300)]

# The default symbol rules' band: BUY within [0.2, 5] x the average price, SELL the same.
SYMBOL = "BNBUSDT"
AVERAGE = Decimal("300")


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_serve() as s:
        # One trade prints the average price the band is measured from.
        admin(s, "/_sim/price", {"symbol": SYMBOL, "price": str(AVERAGE)})
        yield s


def cli(sim: Sim, *args: str) -> Run:
    return run_cli(["--base-url", sim.rest_url, *args], sim.env(), secret=sim.api_secret)


def open_orders(sim: Sim) -> list[dict[str, object]]:
    run = cli(sim, "orders", "--open", "--json")
    assert run.code == 0, run.err
    found: list[dict[str, object]] = run.json()
    return found


def error_line(run: Run) -> str:
    lines = run.err.strip().splitlines()
    assert lines and lines[0].startswith("error: "), run.err
    return lines[0]


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("bad", ["0.0_5", "5e-2", "0.05 ", "+0.05", "0x1", "Infinity", "５"])
@pytest.mark.parametrize("where", ["quantity", "--price"])
def test_number_not_in_plain_decimal_notation_is_refused_naming_the_argument(
    sim: Sim, bad: str, where: str
) -> None:
    qty, price = (bad, "300") if where == "quantity" else ("0.05", bad)
    run = cli(sim, "order", "buy", SYMBOL, qty, "--price", price)
    assert run.code == 2, (run.code, run.out, run.err)
    line = error_line(run)
    assert where in line and repr(bad) in line, line
    assert open_orders(sim) == []


@pytest.mark.parametrize("args", [
    ["stream", "btcusdt@trade", "--duration", "1_0"],
    ["stream", "btcusdt@trade", "--duration", "1e1"],
    ["stream", "btcusdt@trade", "--count", "1_0"],
    ["book", SYMBOL, "--depth", "1_0"],
    ["klines", SYMBOL, "1m", "--start", "1_700_000_000_000"],
])  # fmt: skip
def test_every_number_option_refuses_underscores_before_connecting(args: list[str]) -> None:
    # Port 9 (discard) on localhost: nothing listens, so only a refusal before connecting is quick
    # and exits 2; a parsed number would go on to fail to connect (exit 1).
    run = run_cli(["--base-url", "http://127.0.0.1:9", *args], env=base_env(), timeout=60)
    assert run.code == 2, (run.code, run.err)
    assert args[-2] in error_line(run) or args[-2].lstrip("-") in error_line(run), run.err


@pytest.mark.parametrize("value", ['"0.0_5"', "5e-2", '"5E-2"', '" 0.05"', '"NaN"', '"0.0\\u0035"'])
def test_signal_line_numbers_must_be_plain_decimals(value: str) -> None:
    line = f'{{"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quantity": {value}}}'
    with pytest.raises(msgspec.ValidationError, match=r"\$\.quantity"):
        decode_signal(line)
    target = f'{{"kind": "target", "symbol": "BTCUSDT", "target_notional": {value}}}'
    with pytest.raises(msgspec.ValidationError, match=r"\$\.target_notional"):
        decode_signal(target)


@pytest.mark.parametrize("bad", ["0.0_5", "5e-2", " 0.05", "NaN", "٠.٥"])
def test_library_number_text_must_be_plain_decimal(bad: str) -> None:
    """What the CLI and signal lines hand to the client is checked there again."""
    with pytest.raises(InvalidParameter, match="quantity"):
        check_decimal("quantity", bad)
    assert check_decimal("quantity", "0.05") == Decimal("0.05")


def test_signal_line_plain_numbers_still_read() -> None:
    line = '{"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quantity": 0.05, "price": "60000.10"}'
    signal = decode_signal(line)
    assert (signal.quantity, signal.price) == (Decimal("0.05"), Decimal("60000.10"))  # type: ignore[union-attr]


# ---------------------------------------------------------------- the price band


@pytest.mark.parametrize(("side", "price", "bound"), [
    ("buy", "1500.01", "bidMultiplierUp"),
    ("buy", "59.99", "bidMultiplierDown"),
    ("sell", "1500.01", "askMultiplierUp"),
    ("sell", "59.99", "askMultiplierDown"),
])  # fmt: skip
@pytest.mark.parametrize("test_only", [False, True])
def test_price_outside_the_band_is_refused_locally_and_never_sent(
    sim: Sim, side: str, price: str, bound: str, test_only: bool
) -> None:
    # --allow-far-price: past the fat-finger check (its own local refusal), the band still holds.
    run = cli(
        sim,
        "order",
        side,
        SYMBOL,
        "0.1",
        "--price",
        price,
        "--allow-far-price",
        *(["--test"] if test_only else []),
    )
    assert run.code == 2, (run.code, run.out, run.err)
    line = error_line(run)
    assert "PERCENT_PRICE_BY_SIDE" in line and bound in line and "300" in line, line
    assert "nothing was sent" in run.err
    assert open_orders(sim) == []


@pytest.mark.parametrize(
    ("side", "price"), [("buy", "1500"), ("buy", "60"), ("sell", "1500"), ("sell", "60")]
)
def test_price_on_the_band_edge_is_placed(sim: Sim, side: str, price: str) -> None:
    """Binance's bounds are inclusive: average * multiplier itself passes."""
    placed = cli(sim, "order", side, SYMBOL, "0.1", "--price", price, "--allow-far-price", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "NEW"  # nothing rests to match it: the average stays put
    assert cli(sim, "cancel", SYMBOL, "--all").code == 0
