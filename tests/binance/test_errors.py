"""The error table against the reference, class selection, and exception hygiene."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from tradeexec.binance import errors as E
from tradeexec.errors import BinanceAPIError

REFERENCE = Path("/work/shared/seeds/binance-spot-api-docs-2022.txt")
KOREAN_GUIDE = Path("/work/shared/seeds/binance-api-guide.ko.md")


def _reference_error_section() -> list[str]:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = lines.index("Error Codes")  # the heading of the section; it runs to the end of the file
    return lines[start:]


def _reference_codes() -> dict[int, str]:
    codes: dict[int, str] = {}
    for line in _reference_error_section():
        m = re.match(r"^(-\d+)(?: ([A-Z_0-9]+))?", line)
        if m:
            codes.setdefault(int(m.group(1)), m.group(2) or "")
    return codes


def test_reference_section_is_found_and_plausible() -> None:
    codes = _reference_codes()
    assert len(codes) > 150
    assert {-1000, -1022, -2015, -3045, -4047, -6020, -7002, -20196} <= set(codes)


def test_every_reference_code_is_in_the_table_with_its_name() -> None:
    missing = {code: name for code, name in _reference_codes().items() if code not in E.CODES}
    assert not missing
    for code, name in _reference_codes().items():
        if name and name != "N":  # -1099's "name" is a phrase; -20xxx have none
            assert E.CODES[code].name == name, code


def test_every_code_in_the_korean_guide_is_in_the_table() -> None:
    codes = {int(c) for c in re.findall(r"^\| (-\d{4,5}) \|", KOREAN_GUIDE.read_text(encoding="utf-8"), re.M)}
    assert len(codes) >= 20
    assert codes <= set(E.CODES)


def test_table_entries_are_consistent() -> None:
    for table in (E.CODES, E.FUTURES_CODES):
        for code, info in table.items():
            assert info.code == code
            assert info.message == info.messages[0]
            assert info.message.strip() == info.message and info.message
            assert issubclass(info.exc, BinanceAPIError)
            assert re.fullmatch(r"[A-Z][A-Z_0-9]*", info.name), info.name


def test_duplicate_reference_code_keeps_both_texts() -> None:
    info = E.CODES[-5012]
    assert info.name == "TRANSFER_PENDING"
    assert info.messages == ("Asset transfer is in pending.", "future account or sub relation not exists.")


def test_canonical_texts_are_binances() -> None:
    assert E.message_for(-1022) == "Signature for this request is not valid."
    assert E.message_for(-1021) == "Timestamp for this request is outside of the recvWindow."
    assert E.MSG_TIMESTAMP_AHEAD in E.CODES[-1021].messages
    assert E.message_for(-1121) == "Invalid symbol."
    assert E.message_for(-2014) == "API-key format invalid."
    assert E.message_for(-2015) == "Invalid API-key, IP, or permissions for action."
    assert E.message_for(-1007) == (
        "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
    )
    assert E.message_for(-1101) == "Too many parameters sent for this endpoint."
    assert E.mandatory_param_missing("symbol") == (
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
    )
    assert E.illegal_chars("symbol", "^[A-Z0-9-_.]{1,20}$") == (
        "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."
    )
    assert E.unread_parameters(3, 4) == (
        "Not all sent parameters were read; read '3' parameter(s) but was sent '4'."
    )
    assert E.filter_failure("LOT_SIZE") == "Filter failure: LOT_SIZE"
    assert E.MSG_INSUFFICIENT_BALANCE == "Account has insufficient balance for requested action."
    assert E.MSG_DUPLICATE_ORDER == "Duplicate order sent."
    assert E.MSG_WOULD_TAKE == "Order would immediately match and take."
    assert E.MSG_ORDER_WOULD_TRIGGER == "Order would trigger immediately."
    assert E.MSG_UNKNOWN_ORDER == "Unknown order sent."
    # A wrapped long text survives intact.
    assert E.message_for(-10041).endswith("for {0}. Please adjust your borrow amount or try again tomorrow.")


def test_message_texts_appear_in_the_reference_where_it_kept_them() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    kept = (E.MSG_UNKNOWN_ORDER, E.MSG_WOULD_TAKE, E.MSG_INVALID_SYMBOL, E.mandatory_param_missing("symbol"))
    for msg in kept:
        assert msg in text


def test_futures_codes_are_separate_where_numbers_collide() -> None:
    assert E.message_for(-2021) == "Order cancel-replace partially failed."
    assert E.message_for(-2021, futures=True) == "Order would immediately trigger."
    assert E.message_for(-1021, futures=True) == E.message_for(-1021)
    spot = E.error_from_response(400, -4046, "x", "/sapi/v1/capital/deposit/address")
    fut = E.error_from_response(400, -4046, "No need to change margin type.", "/fapi/v1/marginType")
    assert type(spot) is E.WalletError
    assert type(fut) is E.FuturesError
    assert type(E.error_from_response(400, -2021, "x", "/fapi/v1/order")) is E.FuturesError
    spot_cr = E.error_from_response(400, -2021, "x", "/api/v3/order/cancelReplace")
    assert type(spot_cr) is E.CancelReplaceFailed
    assert type(E.error_from_response(400, -2013, "x", "/fapi/v1/order")) is E.NoSuchOrder
    with pytest.raises(KeyError, match="-99999"):
        E.message_for(-99999)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, -1021, E.InvalidTimestamp),
        (400, -1022, E.InvalidSignature),
        (400, -1102, E.MandatoryParamMissing),
        (400, -1121, E.BadSymbol),
        (400, -1131, E.BadRecvWindow),
        (400, -1013, E.InvalidMessage),
        (400, -1014, E.UnknownOrderComposition),
        (400, -1016, E.ServiceShuttingDown),
        (400, -2010, E.OrderRejected),
        (400, -2011, E.CancelRejected),
        (400, -2013, E.NoSuchOrder),
        (401, -2015, E.ApiKeyError),
        (400, -2014, E.ApiKeyError),
        (400, -3006, E.MarginError),
        (400, -4026, E.WalletError),
        (400, -5002, E.WalletError),
        (400, -6012, E.SavingsError),
        (400, -7001, E.FuturesError),
        (400, -13000, E.BlvtError),
        (400, -1001, E.Disconnected),
        (400, -1007, E.ExecutionStatusUnknown),
        (400, -1003, E.TooManyRequests),
        (400, -3999, E.MarginError),
        (400, -1199, E.RequestError),
        (400, -1999, E.RequestError),  # unknown code: its family
        (400, -99999, BinanceAPIError),
        (429, -1003, E.RequestWeightExceeded),
        (429, -1015, E.OrderRateExceeded),
        (429, None, E.RateLimited),
        (418, -1003, E.IPBannedTooManyRequests),
        (418, None, E.IPBanned),
        (403, None, E.WAFRejected),
        (409, -2021, E.CancelReplacePartialSuccess),
        (404, None, E.NotFound),
        (500, None, E.ExchangeServerError),
        (503, -1008, E.ExchangeServerError),
        (504, -1007, E.ExchangeServerError),
    ],
)
def test_error_from_response_picks_the_most_specific_class(
    status: int, code: int | None, cls: type[BinanceAPIError]
) -> None:
    exc = E.error_from_response(status, code, None, "/api/v3/order")
    assert type(exc) is cls
    assert exc.http_status == status
    assert exc.code == (E.NO_CODE if code is None else code)


def test_status_and_code_classes_are_both_catchable() -> None:
    exc = E.error_from_response(429, -1003, "Too many requests queued.", "/api/v3/order", retry_after_s=7.0)
    assert isinstance(exc, E.RateLimited) and isinstance(exc, E.TooManyRequests)
    assert exc.retry_after_s == 7.0
    banned = E.error_from_response(418, -1003, None, "/api/v3/depth", retry_after_s=120.0)
    assert isinstance(banned, E.IPBanned) and isinstance(banned, E.RateLimited)
    assert isinstance(banned, E.TooManyRequests)
    orders = E.error_from_response(429, -1015, None, "/api/v3/order")
    assert isinstance(orders, E.OrderRateExceeded) and isinstance(orders, E.TooManyOrders)
    assert orders.retry_after_s is None
    partial = E.error_from_response(409, -2021, None, "/api/v3/order/cancelReplace")
    assert isinstance(partial, E.CancelReplaceFailed)


def test_outcome_unknown_covers_5xx_and_timeouts_only() -> None:
    assert E.outcome_unknown(E.error_from_response(502, None, None, "/api/v3/order"))
    assert E.outcome_unknown(E.error_from_response(400, -1007, None, "/api/v3/order"))
    assert E.outcome_unknown(E.error_from_response(400, -1006, None, "/api/v3/order"))
    assert not E.outcome_unknown(E.error_from_response(400, -2010, None, "/api/v3/order"))
    assert not E.outcome_unknown(E.error_from_response(429, -1003, None, "/api/v3/order"))
    assert not E.outcome_unknown(ValueError())


def test_missing_message_is_filled_with_canonical_text() -> None:
    assert E.error_from_response(400, -1022, None, "/api/v3/order").msg == E.MSG_INVALID_SIGNATURE
    assert E.error_from_response(502, None, None, "/api/v3/order").msg == "HTTP 502"


def test_engine_rejections_carry_their_reason() -> None:
    exc = E.error_from_response(400, -2010, E.MSG_INSUFFICIENT_BALANCE, "/api/v3/order")
    assert isinstance(exc, E.OrderRejected)
    assert exc.reason == "INSUFFICIENT_BALANCE"
    cancel = E.error_from_response(400, -2011, E.MSG_UNKNOWN_ORDER, "/api/v3/order")
    assert isinstance(cancel, E.CancelRejected) and cancel.reason == "UNKNOWN_ORDER"
    odd = E.error_from_response(400, -2010, "something new", "/api/v3/order")
    assert isinstance(odd, E.OrderRejected) and odd.reason is None
    filt = E.error_from_response(400, -1013, E.filter_failure("NOTIONAL"), "/api/v3/order")
    assert isinstance(filt, E.InvalidMessage) and filt.filter_name == "NOTIONAL"
    assert E.InvalidMessage(-1013, "other", 400).filter_name is None
    assert len(E.REJECT_REASONS) == len(E.REJECT_MESSAGES)


def test_exception_text_has_code_msg_path_but_never_the_query() -> None:
    signature = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    exc = E.error_from_response(
        400, -1022, E.MSG_INVALID_SIGNATURE, f"/api/v3/order?symbol=BTCUSDT&signature={signature}"
    )
    text = str(exc)
    assert "-1022" in text and E.MSG_INVALID_SIGNATURE in text and "/api/v3/order" in text
    assert "?" not in text and signature not in text and "BTCUSDT" not in text
    assert exc.path == "/api/v3/order"


@pytest.mark.parametrize(
    ("status", "code"), [(400, -1021), (429, -1003), (418, None), (409, -2021), (503, None), (400, -2010)]
)
def test_exceptions_pickle_round_trip(status: int, code: int | None) -> None:
    exc = E.error_from_response(status, code, "m", "/api/v3/order", retry_after_s=3.5)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    fields = ("code", "msg", "http_status", "path")
    assert [getattr(back, f) for f in fields] == [getattr(exc, f) for f in fields]
    assert str(back) == str(exc)
    if isinstance(exc, E.RateLimited):
        assert isinstance(back, E.RateLimited) and back.retry_after_s == 3.5
