"""The key audit is on by default: a key without an IP whitelist never trades on a real
venue (live, testnet, demo) unless the user explicitly says so; only the local exchange,
whose keys have no IP list, relaxes it. Against the real local exchange over sockets (its
keys report ``ipRestrict: false``), in process and through the ``tradeexec`` command."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.binance import BinanceClient
from tradeexec.binance.enums import Side
from tradeexec.binance.models.wallet import ApiRestrictions
from tradeexec.binance.venue import SpotVenue
from tradeexec.config import Settings, Venue, venue_urls
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.risk import RiskLimits, RiskManager, UnsafeApiKey
from tradeexec.sim.exchange import LocalExchange

from ..cli import Sim, run_cli, sim_serve

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(120)]

NO_IP_LIST = ApiRestrictions(ip_restrict=False, create_time=0, enable_spot_and_margin_trading=True)


@pytest.mark.parametrize(("venue", "url", "local"), [
    (Venue.LOCAL, "http://127.0.0.1:8765", True),
    (Venue.LOCAL, "http://localhost:1234/", True),
    (Venue.LOCAL, None, True),
    (Venue.LOCAL, "https://api.binance.com", False),  # the default venue aimed at a real host
    (Venue.LOCAL, "http://127.example.com", False),
    (Venue.SPOT, "http://127.0.0.1:8765", False),  # a real venue through a local proxy
    (Venue.SPOT, None, False),
    (Venue.SPOT_TESTNET, None, False),
    (Venue.SPOT_DEMO, None, False),
])  # fmt: skip
def test_only_the_local_venue_on_a_loopback_host_is_the_local_exchange(
    venue: Venue, url: str | None, local: bool
) -> None:
    assert Settings(venue=venue, urls=venue_urls(venue, url)).local_exchange is local


def test_no_ip_whitelist_is_refused_by_default_and_relaxed_only_locally_or_explicitly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(UnsafeApiKey, match="IP restriction"):
        RiskManager().check_key_permissions(NO_IP_LIST)
    with pytest.raises(UnsafeApiKey, match="IP restriction"):
        RiskManager(RiskLimits(require_ip_restriction=True)).check_key_permissions(
            NO_IP_LIST, local_exchange=True
        )
    RiskManager().check_key_permissions(NO_IP_LIST, local_exchange=True)
    with caplog.at_level(logging.WARNING, logger="tradeexec.execution.risk"):
        RiskManager(RiskLimits(require_ip_restriction=False)).check_key_permissions(NO_IP_LIST)
    assert "no IP restriction" in caplog.text


@pytest.fixture
async def exchange() -> AsyncIterator[LocalExchange]:
    async with LocalExchange(market=False) as ex:
        ex.set_price("BTCUSDT", "60000")
        yield ex


async def _first_order(ex: LocalExchange, journal: Path, venue: Venue) -> None:
    async with BinanceClient(ex.api_key, ex.api_secret, venue=venue, base_url=ex.rest_url) as client:
        manager = OrderManager(SpotVenue(client), Journal(journal), strategy="audit")
        try:
            await manager.start()
            intent = OrderIntent("BTCUSDT", Side.BUY, quantity=Decimal("0.001"), price=Decimal("59000"))
            await manager.submit(intent)
        finally:
            await manager.close()
            manager.journal.close()


@pytest.mark.parametrize("venue", [Venue.SPOT, Venue.SPOT_TESTNET, Venue.SPOT_DEMO])
async def test_order_manager_refuses_a_key_without_ip_list_on_a_real_venue(
    exchange: LocalExchange, tmp_path: Path, venue: Venue
) -> None:
    with pytest.raises(UnsafeApiKey, match="ipRestrict"):
        await _first_order(exchange, tmp_path / "j.sqlite", venue)
    assert exchange.state.engine.open_order_count(exchange.account) == 0


async def test_order_manager_trades_on_the_local_exchange_by_default(
    exchange: LocalExchange, tmp_path: Path
) -> None:
    await _first_order(exchange, tmp_path / "j.sqlite", Venue.LOCAL)
    assert exchange.state.engine.open_order_count(exchange.account) == 1


# ---------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_serve() as s:
        yield s


def cli(sim: Sim, *args: str) -> tuple[int, str, str]:
    run = run_cli(["--base-url", sim.rest_url, *args], sim.env(), secret=sim.api_secret)
    return run.code, run.out, run.err


def test_keys_check_judges_by_venue(sim: Sim) -> None:
    code, out, _ = cli(sim, "keys", "check")
    assert code == 0 and "verdict: SAFE" in out, out
    for venue in ("spot", "spot-testnet", "spot-demo"):
        code, out, _ = cli(sim, "--venue", venue, "keys", "check")
        assert code == 3 and "UNSAFE" in out and "ipRestrict" in out, (venue, out)
    code, out, _ = cli(sim, "--venue", "spot", "keys", "check", "--allow-any-ip")
    assert code == 0, out


def test_order_command_refuses_a_key_without_ip_list_on_a_real_venue_before_sending(sim: Sim) -> None:
    code, out, err = cli(sim, "--venue", "spot", "order", "buy", "BTCUSDT", "0.001", "--price", "20000")
    assert code == 2 and out == "", (code, out, err)
    assert "ipRestrict" in err.splitlines()[0]
    code, out, _ = cli(sim, "orders", "--open", "--json")
    assert code == 0 and out.strip() == "[]"
    code, out, err = cli(
        sim, "--venue", "spot", "order", "buy", "BTCUSDT", "0.001", "--price", "20000", "--allow-any-ip"
    )
    assert code == 0 and "NEW" in out, err
    assert cli(sim, "cancel", "BTCUSDT", "--all")[0] == 0
