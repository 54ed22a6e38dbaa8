"""`scimpolicy serve` through ``main(argv)``, with uvicorn replaced by a recorder: the
banner, tokens shown once, durable folders, seeding from a tenant, and the errors."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scimpolicy.cli import _serve, main
from scimpolicy.server import HttpRequest, ScimApp, Store
from tests.cli.support import epilog_examples

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme"
TOKEN = re.compile(
    r"^    bearer token \(shown once, keep it now\): (\w+)$", re.MULTILINE
)


class _Uvicorn:
    """Stands in for uvicorn: records what it was asked to run."""

    def __init__(self) -> None:
        self.runs: list[tuple[ScimApp, dict[str, Any]]] = []

    def run(self, app: ScimApp, **options: Any) -> None:
        self.runs.append((app, options))


@pytest.fixture
def uvicorn(monkeypatch: pytest.MonkeyPatch) -> _Uvicorn:
    fake = _Uvicorn()
    monkeypatch.setattr(_serve, "_uvicorn", lambda: fake)
    return fake


def serve(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["serve", *args])
    out, err = capsys.readouterr()
    return code, out, err


def answers(app: ScimApp, idp: str, token: str, path: str = "/Users") -> int:
    request = HttpRequest(
        "GET", f"/scim/{idp}/v2{path}", headers={"authorization": f"Bearer {token}"}
    )
    return app.service.handle(request).status


def test_memory_only_makes_a_token_per_idp_and_shows_it_once(
    uvicorn: _Uvicorn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = serve(capsys, "--idp", "Okta", "--idp", "Entra")

    assert code == 0
    assert err == ""
    assert "data in memory only (no --data)" in out
    assert "  Okta: http://127.0.0.1:8000/scim/Okta/v2  (0 users, 0 groups)" in out
    assert "  Entra: http://127.0.0.1:8000/scim/Entra/v2  (0 users, 0 groups)" in out
    assert "serving on 127.0.0.1 port 8000 (Ctrl-C stops)" in out
    okta, entra = TOKEN.findall(out)
    [(app, options)] = uvicorn.runs
    assert options == {
        "host": "127.0.0.1",
        "port": 8000,
        "log_level": "warning",
        "access_log": False,
    }
    assert answers(app, "Okta", okta) == 200
    assert answers(app, "Entra", entra) == 200
    assert answers(app, "Okta", entra) == 401


def test_a_data_folder_keeps_tokens_and_new_token_revokes_the_old_one(
    uvicorn: _Uvicorn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    _, first, _ = serve(capsys, "--data", data, "--idp", "Okta")
    [old] = TOKEN.findall(first)
    assert f"data in {data}" in first

    _, second, _ = serve(capsys, "--data", data)  # the folder knows its IdPs
    assert TOKEN.findall(second) == []
    assert "  Okta: " in second

    _, third, _ = serve(capsys, "--data", data, "--new-token", "Okta")
    [new] = TOKEN.findall(third)
    assert new != old
    app = uvicorn.runs[-1][0]
    assert answers(app, "Okta", new) == 200
    assert answers(app, "Okta", old) == 401
    with Store.open(data) as store:  # every run released the folder
        assert store.authenticate("Okta", new)
        assert not store.authenticate("Okta", old)


def test_a_tenant_seeds_empty_directories_once(
    uvicorn: _Uvicorn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    args = ("--data", data, "--tenant", str(ACME), "--seed", "--port", "9000")
    code, out, _ = serve(capsys, *args)
    assert code == 0
    assert "  Okta: http://127.0.0.1:9000/scim/Okta/v2  (2400 users, 127 groups)" in out
    assert "  Entra: http://127.0.0.1:9000/scim/Entra/v2  (800 users, 87 groups)" in out
    app = uvicorn.runs[-1][0]
    directory = app.service.store.directory("Okta")
    user = next(directory.users())
    user_id = user.id
    version = user.meta.version

    code, out, _ = serve(capsys, *args)  # not empty now: kept as it is
    assert code == 0
    again = uvicorn.runs[-1][0].service.store.directory("Okta")
    assert again.user(user_id) is not None
    assert again.user(user_id).meta.version == version  # type: ignore[union-attr]
    assert "(2400 users, 127 groups)" in out


def test_public_url_tls_and_access_log_reach_the_server(
    uvicorn: _Uvicorn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = serve(
        capsys,
        "--idp",
        "Okta",
        "--public-url",
        "https://scim.example.com/",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "key.pem",
        "--access-log",
    )
    assert code == 0
    assert "  Okta: https://scim.example.com/scim/Okta/v2" in out
    _, options = uvicorn.runs[-1]
    assert options["ssl_certfile"] == "cert.pem"
    assert options["ssl_keyfile"] == "key.pem"
    assert options["log_level"] == "info"
    assert options["access_log"] is True


@pytest.mark.usefixtures("uvicorn")
def test_listening_beyond_loopback_without_tls_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = serve(capsys, "--idp", "Okta", "--host", "0.0.0.0")  # noqa: S104
    assert code == 0
    assert "bearer tokens cross the network in clear" in err
    assert "  Okta: http://0.0.0.0:8000/scim/Okta/v2" in out
    _, _, quiet = serve(capsys, "--idp", "Okta", "--host", "::1")
    assert quiet == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--seed", "--idp", "Okta"), "--seed needs --tenant"),
        (("--idp", "Okta", "--new-token", "Entra"), "--new-token Entra: not served"),
        ((), "nothing to serve"),
        (("--idp", "Okta", "--tls-cert", "c.pem"), "--tls-cert and --tls-key go"),
        (("--idp", "Okta", "--max-page-size", "0"), "must be positive"),
        (("--idp", "a/b"), "may not contain `/`"),
    ],
)
def test_bad_arguments_exit_2_without_serving(
    uvicorn: _Uvicorn,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    code, _, err = serve(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert uvicorn.runs == []


def test_a_corrupt_or_busy_folder_exits_2(
    uvicorn: _Uvicorn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "scim.sqlite3").write_bytes(b"not a database at all" * 100)
    code, _, err = serve(capsys, "--data", str(corrupt), "--idp", "Okta")
    assert code == 2
    assert "not a usable scimpolicy store" in err

    busy = tmp_path / "busy"
    with Store.open(busy, ["Okta"]):
        code, _, err = serve(capsys, "--data", str(busy))
    assert code == 2
    assert "in use by another scimpolicy server" in err
    assert uvicorn.runs == []


def test_without_uvicorn_it_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def without_uvicorn(name: str, package: str | None = None) -> ModuleType:
        if name == "uvicorn":
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_uvicorn)
    code, _, err = serve(capsys, "--idp", "Okta")
    assert code == 2
    assert "pip install 'scimpolicy[server]'" in err


def test_the_help_examples_run(
    uvicorn: _Uvicorn,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(ROOT)
    examples = epilog_examples(_serve.COMMAND)
    assert len(examples) == 3
    for number, argv in enumerate(examples):
        if "--data" in argv:  # keep the repository clean
            argv[argv.index("--data") + 1] = str(tmp_path / f"data-{number}")
        assert main(argv) == 0, capsys.readouterr().err
    assert len(uvicorn.runs) == 3
