"""Balances of the local exchange's accounts: free and locked per asset, and commissions.

Every mutation goes through one of the few methods here so that the engine can say, at the
end of a call, exactly which (account, asset) pairs changed (Binance's
outboundAccountPosition carries only those). Commissions are kept in ``fees`` so that the
sum of every asset over all accounts plus the fees never changes except by deposits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_ZERO = Decimal(0)
_new_holding = object.__new__


@dataclass(slots=True)
class Holding:
    free: Decimal = _ZERO
    locked: Decimal = _ZERO


class Ledger:
    __slots__ = ("_accounts", "_touched", "fees")

    def __init__(self) -> None:
        self._accounts: dict[str, dict[str, Holding]] = {}
        # account -> asset -> its holding, in first-touch order: what the call changed
        self._touched: dict[str, dict[str, Holding]] = {}
        self.fees: dict[str, Decimal] = {}

    def open(self, account: str, balances: Mapping[str, Decimal]) -> None:
        if account in self._accounts:
            raise ValueError(f"account {account!r} already exists")
        self._accounts[account] = {asset: Holding(free=amount) for asset, amount in balances.items()}

    def exists(self, account: str) -> bool:
        return account in self._accounts

    def free(self, account: str, asset: str) -> Decimal:
        holdings = self._accounts.get(account)
        bal = None if holdings is None else holdings.get(asset)
        return _ZERO if bal is None else bal.free

    def snapshot(self, account: str) -> dict[str, Holding]:
        return {a: Holding(b.free, b.locked) for a, b in self._accounts.get(account, {}).items()}

    def _get(self, account: str, asset: str) -> Holding:
        assets = self._accounts.get(account)
        if assets is None:
            assets = self._accounts[account] = {}
        bal = assets.get(asset)
        if bal is None:
            bal = assets[asset] = Holding()
        touched = self._touched.get(account)
        if touched is None:
            touched = self._touched[account] = {}
        touched[asset] = bal
        return bal

    def adjust_free(self, account: str, asset: str, delta: Decimal) -> None:
        self._get(account, asset).free += delta

    def lock(self, account: str, asset: str, amount: Decimal) -> None:
        bal = self._get(account, asset)
        bal.free -= amount
        bal.locked += amount

    def release(self, account: str, asset: str, amount: Decimal) -> None:
        bal = self._get(account, asset)
        bal.locked -= amount
        bal.free += amount

    def settle_trade(
        self,
        buyer: str,
        seller: str,
        base: str,
        quote: str,
        amounts: tuple[Decimal, Decimal, Decimal | None, Decimal, Decimal],
    ) -> None:
        """Every balance change of one trade in one call (the hot path of matching):
        ``amounts`` is (base qty, quote qty, quote the buyer had locked for it or None when
        the buyer pays from free, buyer's fee in base, seller's fee in quote). The seller
        always sold out of its lock."""
        qty, paid, reserved, buyer_fee, seller_fee = amounts
        accounts = self._accounts
        # ``_get`` for the four holdings inline (on every fill): both accounts nearly always hold
        # both assets already; they are touched in the order ``_get`` below would touch them.
        buyer_holdings, seller_holdings = accounts.get(buyer), accounts.get(seller)
        if (
            buyer_holdings is None
            or seller_holdings is None
            or (buyer_quote := buyer_holdings.get(quote)) is None
            or (buyer_base := buyer_holdings.get(base)) is None
            or (seller_base := seller_holdings.get(base)) is None
            or (seller_quote := seller_holdings.get(quote)) is None
        ):
            # an account's first trade in an asset: ``_get`` opens the holding
            buyer_quote, buyer_base = self._get(buyer, quote), self._get(buyer, base)
            seller_base, seller_quote = self._get(seller, base), self._get(seller, quote)
        else:
            touched = self._touched
            changed = touched.get(buyer)
            if changed is None:
                changed = touched[buyer] = {}
            changed[quote] = buyer_quote
            changed[base] = buyer_base
            changed = touched.get(seller)
            if changed is None:
                changed = touched[seller] = {}
            changed[base] = seller_base
            changed[quote] = seller_quote
        if reserved is None:
            buyer_quote.free -= paid
        else:
            buyer_quote.locked -= reserved
            if reserved != paid:
                buyer_quote.free += reserved - paid
        buyer_base.free += qty - buyer_fee
        seller_base.locked -= qty
        seller_quote.free += paid - seller_fee
        fees = self.fees
        if buyer_fee:
            fees[base] = fees.get(base, _ZERO) + buyer_fee
        if seller_fee:
            fees[quote] = fees.get(quote, _ZERO) + seller_fee

    def flush_into(
        self, out: list[Any], build: Callable[[tuple[str, dict[str, Holding], int]], Any], now: int
    ) -> None:
        """Appends ``build((account, changed balances, now))`` to ``out`` for each account
        changed since the last flush, in first-touch order (the engine's balance events,
        built without an intermediate list)."""
        for account, assets in self._touched.items():
            changed = {}
            for asset, bal in assets.items():
                copy = changed[asset] = _new_holding(Holding)  # no __init__ frame: the hot path
                copy.free = bal.free
                copy.locked = bal.locked
            out.append(build((account, changed, now)))
        self._touched.clear()

    def discard_touches(self) -> None:
        self._touched.clear()
