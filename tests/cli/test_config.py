"""The config file: refusals name the file, the line and the key; a named file that is
missing is an error; ``tradeexec config check`` shows each setting's source with secrets
masked, and the precedence argument > environment > file > default."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.config import load_settings
from tradeexec.config_file import find_line, read_config
from tradeexec.errors import ConfigError

from . import base_env, run_cli

SECRET = "s3cr3t-" + "x" * 40


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('venue = "local"\n\n[risk]\nmax_order_notinal = "5"\n', 4, "unknown key [risk] 'max_order_notinal'"),
        ('venue = "local"\nvenu = "spot"\n', 2, "unknown key 'venu'"),
        ('[binance]\nrecv_window = "5000"\n', 2, "recv_window must be an integer, got str"),
        ('[risk]\n\nmax_open_orders = true\n', 3, "max_open_orders must be an integer"),
        ("[risk]\nmax_order_notional = 0.1\n", 2, 'must be a decimal as a string ("0.1")'),
        ('[strategy]\nsymbols = "BTCUSDT"\n', 2, "symbols must be a list"),
        ('[journal]\ndir = "x"\npath = "y"\n', 3, "unknown key [journal] 'path'"),
        ('risk = 5\n', 1, "risk must be a table"),
        ("[strategy]\nduration = -5\n", 2, "duration must be a positive number of seconds"),
    ],
)
def test_refusals_name_file_line_and_key(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_config(path, required=True)
    message = str(caught.value)
    assert f"config file {path}, line {line}:" in message and needle in message, message


def test_find_line_tells_tables_apart() -> None:
    text = 'dir = "top"\n[journal]\n# dir = "comment"\n"dir" = "a"\n[strategy]\ndir = "b"\n'
    assert find_line(text, "", "dir") == 1
    assert find_line(text, "journal", "dir") == 4
    assert find_line(text, "strategy", "dir") == 6
    assert find_line("risk.max_open_orders = 3\n", "risk", "max_open_orders") == 1


def test_a_named_config_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(env={"TRADEEXEC_CONFIG": str(tmp_path / "absent.toml")})
    run = run_cli(["config", "check"], base_env(TRADEEXEC_CONFIG=str(tmp_path / "absent.toml")))
    assert run.code == 2 and "absent.toml: not found" in run.err, run
    assert "hint: fix the file; 'tradeexec config check' shows the settings in effect" in run.err


def test_keys_from_named_environment_variables(tmp_path: Path) -> None:
    path = _file(tmp_path, 'venue = "spot-testnet"\napi_key_env = "MY_KEY"\napi_secret_env = "MY_SECRET"\n')
    settings = load_settings(env={"TRADEEXEC_CONFIG": str(path), "MY_KEY": "k" * 64, "MY_SECRET": SECRET})
    assert settings.credentials.api_key == "k" * 64
    assert settings.credentials.api_secret is not None and settings.credentials.api_secret.reveal() == SECRET
    with pytest.raises(ConfigError, match=r"line 3: api_secret_env names MY_SECRET, which is not set"):
        load_settings(env={"TRADEEXEC_CONFIG": str(path), "MY_KEY": "k" * 64})


def test_risk_values_are_exact_decimals(tmp_path: Path) -> None:
    path = _file(tmp_path, '[risk]\nmax_order_notional = "0.1"\nmax_position = { btcusdt = "0.05" }\n')
    limits = read_config(path, required=True).risk_limits()
    assert limits.max_order_notional == Decimal("0.1")
    assert dict(limits.max_position) == {"BTCUSDT": Decimal("0.05")}


def test_config_check_shows_sources_and_masks_secrets(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        f'venue = "spot-testnet"\napi_key = "AbCdEfGh{"k" * 56}"\napi_secret = "{SECRET}"\n\n'
        '[risk]\nmax_order_notional = "250"\n\n[journal]\ndir = "/tmp/runs"\n',
    )
    env = base_env(TRADEEXEC_CONFIG=str(path), TRADEEXEC_BASE_URL="http://127.0.0.1:9")
    run = run_cli(["config", "check", "--json"], env, secret=SECRET)  # run_cli: the secret never shows
    assert run.code == 0, run.err
    rows = {r["setting"]: (r["value"], r["source"]) for r in run.json()["settings"]}
    assert rows["venue"] == ("spot-testnet", f"config file {path}:1")
    assert rows["base_url"] == ("http://127.0.0.1:9", "environment TRADEEXEC_BASE_URL")
    assert rows["api_key"] == ("AbCd…", f"config file {path}:2")
    assert rows["signing"][0] == "HMAC secret (***)"
    assert rows["risk.max_order_notional"] == ("250", f"config file {path}:6")
    assert rows["risk.max_open_orders"] == ("50", "default")
    assert rows["journal.dir"] == ("/tmp/runs", f"config file {path}:9")
    assert "line 3: api_secret is written in the file" in run.err  # the inline secret's warning
    over = run_cli(["config", "check", "--json", "--venue", "local"], env, secret=SECRET)
    rows = {r["setting"]: (r["value"], r["source"]) for r in over.json()["settings"]}
    assert rows["venue"] == ("local", "argument --venue")
    human = run_cli(["config", "check"], env, secret=SECRET)
    assert human.code == 0 and f"config file: {path}" in human.out and "AbCdEfGh" not in human.out


def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    path = _file(tmp_path, "api_key = 918273645546372819\napi_secret = 1234567890123456789\n")
    with pytest.raises(ConfigError) as caught:
        read_config(path, required=True)
    assert "line 1: api_key must be a string, got int" in str(caught.value)
    assert "918273645546372819" not in str(caught.value)
    path.write_text('api_key = "k"\napi_secret = 1234567890123456789\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config(path, required=True)
    assert "line 2: api_secret must be a string" in str(caught.value)
    assert "1234567890123456789" not in str(caught.value)


@pytest.mark.parametrize(("config", "env"), [('venue = "spot"\n', {}), ("", {"TRADEEXEC_VENUE": "spot"})])
def test_live_from_the_config_or_environment_still_needs_the_flag(
    tmp_path: Path, config: str, env: dict[str, str]
) -> None:
    strategy = tmp_path / "s.py"
    strategy.write_text("async def strategy(ctx):\n    pass\n", encoding="utf-8")
    path = _file(tmp_path, config)
    run = run_cli(["run", str(strategy)], base_env(TRADEEXEC_CONFIG=str(path), **env))
    assert run.code == 2 and "--i-understand-live" in run.err, run


def test_config_check_names_the_variable_a_key_comes_from(tmp_path: Path) -> None:
    path = _file(tmp_path, 'venue = "spot-testnet"\napi_key_env = "MY_KEY"\napi_secret_env = "MY_SECRET"\n')
    env = base_env(TRADEEXEC_CONFIG=str(path), MY_KEY="WxYz" + "k" * 60, MY_SECRET=SECRET)
    run = run_cli(["config", "check", "--json"], env, secret=SECRET)
    assert run.code == 0, run.err
    rows = {r["setting"]: (r["value"], r["source"]) for r in run.json()["settings"]}
    assert rows["api_key"] == ("WxYz…", f"environment MY_KEY, named in config file {path}:2")
    assert "k" * 60 not in run.out
