"""The promises, checked against the local exchange's own record (its engine), never against
what the client believes: nothing doubled, nothing lost, every final state and every fill the
same on both sides, balances equal to the last unit -- both the live tracker's (which adopts
the stream's balance events) and the journal's own account (its fills replayed onto the
opening balances, which no balance event can correct)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from tests.soak.outside import OURS, Arrival
from tests.soak.product import SPOT, Product
from tests.soak.strategy import Ledger
from tradeexec.binance.enums import Side
from tradeexec.execution import Journal, OrderManager, OrderState, PositionTracker
from tradeexec.execution.positions import AccountSnapshot
from tradeexec.sim.binance.futures_views import money
from tradeexec.sim.engine import Fill, OrderRecord
from tradeexec.sim.exchange import LocalExchange

ALL = 10**9  # "every row": the engine's history queries take a limit


@dataclass(slots=True)
class Findings:
    journal_intents: int = 0
    exchange_orders: int = 0
    fills: int = 0
    rejected_by_exchange: int = 0
    abandoned: int = 0
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    unjournaled: list[str] = field(default_factory=list)
    state_mismatches: list[str] = field(default_factory=list)
    fill_mismatches: list[str] = field(default_factory=list)
    balance_mismatches: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything but balances, which are judged on their own (see the soak tests)."""
        out: list[str] = []
        for name in ("duplicates", "lost", "unjournaled", "state_mismatches", "fill_mismatches"):
            items: list[str] = getattr(self, name)
            out += [f"{name}: {item}" for item in items[:20]]
        return out


def check(ex: LocalExchange, journal: Journal, manager: OrderManager, positions: PositionTracker,
          ledger: Ledger, opening: AccountSnapshot | None, product: Product = SPOT) -> Findings:
    """``opening``: the spot account before the first order (None on futures, whose wallet
    and legs are compared with the exchange's directly)."""
    found = Findings()
    engine = product.engine(ex)
    symbols = list(product.symbols if product.futures else ex.state.symbol_info)
    account = ex.account
    on_exchange: dict[str, OrderRecord] = {}
    counts: Counter[str] = Counter()
    fills: dict[tuple[str, int], Fill] = {}
    for symbol in symbols:
        for order in engine.all_orders(account, symbol, limit=ALL):
            counts[order.client_order_id] += 1
            on_exchange[order.client_order_id] = order
        for fill in engine.my_trades(account, symbol, limit=ALL):
            fills[(symbol, fill.trade_id)] = fill
    found.exchange_orders = sum(counts.values())
    found.fills = len(fills)
    found.duplicates = [f"{cid} placed {n} times" for cid, n in counts.items() if n > 1]

    intents = journal.intents()
    found.journal_intents = len(intents)
    journaled = {i.client_order_id for i in intents}
    # The emergency stop's own closing orders (futures) are the venue's, never journaled.
    found.unjournaled = [f"{o.symbol} {cid} ({o.status})" for cid, o in on_exchange.items()
                         if cid not in journaled and cid.startswith(OURS)]
    journal_fills: set[tuple[str, int]] = set()
    for intent in intents:
        cid = intent.client_order_id
        derived = journal.derive(intent)
        managed = manager.order(cid)
        if managed is not None and managed.state is not derived.state:
            found.state_mismatches.append(f"{cid}: manager {managed.state}, journal {derived.state}")
        for fill in journal.fills(cid):
            key = (intent.symbol, fill.trade_id or -1)
            journal_fills.add(key)
            theirs = fills.get(key)
            if theirs is None or theirs.qty != fill.last_qty or theirs.price != fill.last_price:
                found.fill_mismatches.append(f"{cid} trade {fill.trade_id}: journal {fill.last_qty}@"
                                             f"{fill.last_price}, exchange {theirs}")
        order = on_exchange.get(cid)
        if order is None:
            if derived.state is OrderState.REJECTED and derived.reason:
                found.rejected_by_exchange += 1
            elif derived.state is OrderState.CANCELED and derived.reason:
                found.abandoned += 1
            else:
                found.lost.append(f"{cid}: not on the exchange; journal: {derived.state} ({derived.reason})")
            continue
        theirs_state = OrderState.from_exchange(order.status.value)
        if (derived.state, derived.executed_qty, derived.cumulative_quote) != (
            theirs_state, order.executed_qty, order.cummulative_quote_qty
        ):
            found.state_mismatches.append(
                f"{cid}: journal {derived.state} {derived.executed_qty}/{derived.cumulative_quote}, "
                f"exchange {order.status} {order.executed_qty}/{order.cummulative_quote_qty}"
            )
    journaled_ids = {(o.symbol, o.order_id) for cid, o in on_exchange.items() if cid in journaled}
    ours = {key for key, f in fills.items() if (f.symbol, f.order_id) in journaled_ids}
    found.fill_mismatches += [f"{s} trade {t} not in the journal" for s, t in sorted(ours - journal_fills)]

    for record in ledger.records:
        if record.outcome == "pending":
            found.lost.append(f"intent {record.index} ({record.kind}) has no outcome")
        found.lost += [f"intent {record.index}: order {cid} not journaled"
                       for cid in record.orders if cid not in journaled]

    if opening is None:
        found.balance_mismatches = futures_mismatches(ex, positions)
        return found
    found.balance_mismatches = _balances(ex, positions, "tracked")
    found.balance_mismatches += _balances(ex, _replay(ex, journal, opening), "journal replay")
    return found


def futures_mismatches(ex: LocalExchange, positions: PositionTracker) -> list[str]:
    """Every leg the tracker holds or the exchange holds: quantity to the last unit and entry
    price to the last digit, as the exchange's own positions (what positionRisk states); and
    the USDT wallet, the tracker's balance against the exchange's wallet."""
    acct = ex.state.futures.account(ex.account)
    theirs = {(f.position.symbol, f.position.position_side): f.position
              for symbol in ex.state.futures.contracts
              for f in ex.state.futures.figures.positions(acct, symbol)}
    ours = {(symbol, str(leg)): tracked for (symbol, leg), tracked in positions.legs.legs.items()}
    out = []
    for key in sorted(set(theirs) | set(ours)):
        pos, tracked = theirs.get(key), ours.get(key)
        # The entry price as positionRisk states it (eight decimals), the tracker's source.
        qty, entry = (pos.amt, money(pos.entry)) if pos is not None else (Decimal(0), Decimal(0))
        mine = (tracked.quantity, tracked.entry_price) if tracked is not None else (Decimal(0), Decimal(0))
        # Compared at the digits positionRisk states: a leg last set by a statement or a fill
        # holds the entry unrounded (ACCOUNT_UPDATE states it so), the same figure.
        if mine[0] != qty or (qty and money(mine[1]) != entry):
            out.append(f"leg {key[0]} {key[1]}: tracked {mine[0]} @ {mine[1]}, exchange {qty} @ {entry}")
    wallet = acct.wallet
    if positions.balance("USDT").total != wallet:
        out.append(f"wallet USDT: tracked {positions.balance('USDT').total}, exchange {wallet}")
    return out


def outside_problems(arrivals: list[Arrival], journal_problem: str | None) -> list[str]:
    """Issue 13's promises over the whole run: every order that reached the exchange had its
    intent and placement request in the journal first (the lock windows included), and the
    manager's journal alarm is down once the journal works again."""
    out = [f"{a.client_order_id} reached the exchange before the journal recorded it"
           for a in arrivals if not a.journaled_first]
    if journal_problem is not None:
        out.append(f"journal alarm still raised at the end: {journal_problem}")
    return out


def _replay(ex: LocalExchange, journal: Journal, opening: AccountSnapshot) -> PositionTracker:
    replay = PositionTracker()
    replay.load_account(opening)
    for symbol, info in ex.state.symbol_info.items():
        replay.register_symbol(symbol, info["baseAsset"], info["quoteAsset"])
    for intent in journal.intents():
        for fill in journal.fills(intent.client_order_id):
            assert fill.last_qty is not None and fill.last_price is not None
            replay.apply_fill(intent.symbol, Side(intent.side), fill.last_qty, fill.last_price,
                              commission=fill.commission or Decimal(0),
                              commission_asset=fill.commission_asset, quote_qty=fill.last_quote)
    return replay


def _balances(ex: LocalExchange, positions: PositionTracker, label: str) -> list[str]:
    """Every asset's total (free + locked), and each spot position whose base asset no other
    tracked symbol trades (a shared asset cannot be split between symbols from balances)."""
    out = []
    exchange = {a: free + locked for a, (free, locked) in ex.balances().items()}
    for asset in sorted(set(exchange) | set(positions.balances)):
        tracked = positions.balance(asset).total
        if tracked != exchange.get(asset, Decimal(0)):
            out.append(f"{label} {asset}: {tracked}, exchange {exchange.get(asset, Decimal(0))}")
    traded = Counter(a for p in positions.positions.values() for a in (p.base_asset, p.quote_asset))
    for symbol, pos in sorted(positions.positions.items()):
        if traded[pos.base_asset] == 1 and pos.quantity != exchange.get(pos.base_asset, Decimal(0)):
            held = exchange.get(pos.base_asset)
            out.append(f"{label} position {symbol}: {pos.quantity}, exchange holds {held}")
    return out
