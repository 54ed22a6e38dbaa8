"""``load_sessions`` and ``Session``: the sessions.json of a tenant folder.

A JSON array of sessions (or ``{"sessions": [...]}``) loads with the documented
defaults; every error is a DataFileError naming the file, the session, the field and
the line of that field; ``Session.to_json()`` round-trips through ``load_sessions``.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scimpolicy.errors import DataFileError
from scimpolicy.policy.decisions import Request
from scimpolicy.policy.facts import PLATFORMS
from scimpolicy.workspace.sessions import Session, load_sessions, parse_timestamp

FIELDS: Final = (
    "user, idp, authenticated_at, saml, client_type, platform, country, posture, "
    "trusted_networks, machine_group"
)
ADA: Final = """\
  {"user": "ada@acme.example", "idp": "Okta",
   "authenticated_at": "2026-11-22T08:15:00Z"}"""
MONDAY: Final = datetime(2026, 11, 22, 8, 15, tzinfo=UTC)


def write(folder: Path, text: str, name: str = "sessions.json") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(
    tmp_path: Path, text: str, idps: frozenset[str] | None = None
) -> DataFileError:
    """The DataFileError reading *text* as sessions.json; it names the file."""
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as caught:
        load_sessions(path, idps=idps)
    assert caught.value.origin == str(path)
    return caught.value


def with_second(session: str) -> str:
    """A sessions file of Ada and then *session* (on lines 3 and after)."""
    return f"[\n{ADA},\n{session}\n]\n"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# -- reading ---------------------------------------------------------------------


def test_a_full_session_is_read() -> None:
    """Every documented field is read; SAML values become tuples."""
    text = json.dumps(
        [
            {
                "user": "ada.lovelace@acme.example",
                "idp": "Okta",
                "authenticated_at": "2026-11-22T08:15:00Z",
                "saml": {"role": ["engineer", "oncall"], "department": "Engineering"},
                "client_type": "client_connector",
                "platform": "mac",
                "country": "US",
                "posture": {"CrowdStrike running": True, "Disk encrypted": False},
                "trusted_networks": ["HQ", "Lab"],
                "machine_group": "Laptops",
            }
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        (session,) = load_sessions(write(Path(folder), text))
    assert session == Session(
        user="ada.lovelace@acme.example",
        idp="Okta",
        authenticated_at=MONDAY,
        saml={"role": ("engineer", "oncall"), "department": ("Engineering",)},
        client_type="client_connector",
        platform="mac",
        country="US",
        posture={"CrowdStrike running": True, "Disk encrypted": False},
        trusted_networks=frozenset({"HQ", "Lab"}),
        machine_group="Laptops",
    )
    assert session.saml["department"] == ("Engineering",)


def test_a_minimal_session_takes_the_defaults(tmp_path: Path) -> None:
    """Only user, idp and authenticated_at are required."""
    (session,) = load_sessions(write(tmp_path, f"[\n{ADA}\n]"))
    assert session == Session("ada@acme.example", "Okta", MONDAY)
    assert session.saml == {}
    assert session.client_type == "client_connector"
    assert (session.platform, session.country, session.machine_group) == (
        None,
        None,
        None,
    )
    assert session.posture == {}
    assert session.trusted_networks == frozenset()


def test_null_fields_are_empty(tmp_path: Path) -> None:
    """`null` is an absent value for every optional field."""
    nulls = ", ".join(
        f'"{name}": null'
        for name in (
            "saml",
            "client_type",
            "platform",
            "country",
            "posture",
            "trusted_networks",
            "machine_group",
        )
    )
    text = (
        '[{"user": "a@x", "idp": "Okta", "authenticated_at": '
        f'"2026-11-22T08:15:00Z", {nulls}}}]'
    )
    (session,) = load_sessions(write(tmp_path, text))
    assert session == Session("a@x", "Okta", MONDAY)


def test_an_empty_array_has_no_sessions(tmp_path: Path) -> None:
    """`[]` and `{"sessions": []}` are no sessions."""
    assert load_sessions(write(tmp_path, "[]")) == ()
    assert load_sessions(write(tmp_path, ' {"sessions": [ ]} ')) == ()


def test_the_sessions_wrapper_object_is_read(tmp_path: Path) -> None:
    """`{"sessions": [...]}` is read like the array, other keys ignored."""
    text = (
        '{"tenant": {"name": "[Acme]"},\n "sessions" :\n  [\n'
        f"{ADA},\n"
        '  {"user": "bob@acme.example", "idp": "Entra",\n'
        '   "authenticated_at": "2026-11-22T09:00:00+01:00"}\n  ],\n'
        ' "note": "}"}\n'
    )
    sessions = load_sessions(write(tmp_path, text))
    assert [s.user for s in sessions] == ["ada@acme.example", "bob@acme.example"]
    assert sessions[1].authenticated_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_errors_in_the_wrapper_form_point_into_the_sessions_array(
    tmp_path: Path,
) -> None:
    """Positions are found in the `sessions` array, the last one when the key is
    repeated (as json.loads reads it)."""
    text = (
        '{"sessions": [{"user": "ignored"}],\n'
        ' "sessions": [\n'
        f"{ADA},\n"
        '  {"user": "bob@acme.example", "idp": "Okta",\n'
        '   "authenticated_at": "soon"}\n'
        "]}\n"
    )
    error = load_error(tmp_path, text)
    assert error.message == (
        "session 2: `authenticated_at`: expected an ISO 8601 timestamp such as "
        "2026-11-23T09:00:00Z, got `soon`"
    )
    assert (error.lineno, error.colno) == (6, 4)


def test_a_str_path_is_accepted(tmp_path: Path) -> None:
    """``load_sessions`` takes a str as well as a Path."""
    path = write(tmp_path, f"[{ADA}]")
    assert load_sessions(str(path)) == load_sessions(path)


def test_idps_restrict_the_idp_names(tmp_path: Path) -> None:
    """With ``idps`` every session's IdP must be one of them; without, any is fine."""
    path = write(tmp_path, f"[{ADA}]")
    assert len(load_sessions(path, idps={"Okta", "Entra"})) == 1
    assert len(load_sessions(path)) == 1


def test_a_session_becomes_a_request() -> None:
    """``request()`` adds the moment and the application, keeping everything else;
    a client type given there wins."""
    session = Session(
        "ada@acme.example",
        "Okta",
        MONDAY,
        saml={"role": "engineer"},
        client_type="machine_tunnel",
        platform="mac",
        country="US",
        posture={"Disk encrypted": True},
        trusted_networks=["HQ"],
        machine_group="Laptops",
    )
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert session.request(now, app="Git") == Request(
        user="ada@acme.example",
        idp="Okta",
        authenticated_at=MONDAY,
        now=now,
        app="Git",
        saml={"role": ("engineer",)},
        client_type="machine_tunnel",
        platform="mac",
        country="US",
        posture={"Disk encrypted": True},
        trusted_networks=frozenset({"HQ"}),
        machine_group="Laptops",
    )
    by_host = session.request(
        now, host="git.acme.example", port=443, client_type="web_browser"
    )
    assert (by_host.app, by_host.host, by_host.port) == (None, "git.acme.example", 443)
    assert by_host.client_type == "web_browser"


def test_parse_timestamp_needs_an_offset() -> None:
    """``parse_timestamp`` reads ISO 8601 with an offset and says what is wrong."""
    assert parse_timestamp("2026-11-22T09:15:00+01:00") == MONDAY
    with pytest.raises(ValueError, match=r"^`2026-11-22T08:15:00` has no offset"):
        parse_timestamp("2026-11-22T08:15:00")
    with pytest.raises(ValueError, match=r"got `tuesday`$"):
        parse_timestamp("tuesday")


# -- errors ------------------------------------------------------------------------


def test_malformed_json_is_reported_at_its_position(tmp_path: Path) -> None:
    """json's message (lowercased) at json's line and column."""
    text = with_second('  {"user": "bob@acme.example" "idp": "Okta"}')
    error = load_error(tmp_path, text)
    assert error.message == "expecting ',' delimiter"
    assert (error.lineno, error.colno) == (4, 31)  # at `"idp"`, where `,` belongs


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    """A sessions file that is not there raises FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        load_sessions(tmp_path / "sessions.json")


@pytest.mark.parametrize(
    "text", ["42", '"sessions"', "null", "{}", '{"users": []}', '{"sessions": {}}']
)
def test_a_file_that_is_not_an_array_is_refused(tmp_path: Path, text: str) -> None:
    """The top level is an array or an object with a `sessions` array."""
    error = load_error(tmp_path, text)
    assert error.message == (
        'expected a JSON array of sessions or an object with a "sessions" array'
    )
    assert (error.lineno, error.colno) == (1, 1)


@pytest.mark.parametrize("item", ['"bob@acme.example"', "[1]", "null", "7"])
def test_a_session_that_is_not_an_object_is_refused(tmp_path: Path, item: str) -> None:
    """Each session is a JSON object; the error is at the item."""
    text = with_second(f"  {item}")
    error = load_error(tmp_path, text)
    assert error.message == "session 2: expected a JSON object for each session"
    assert (error.lineno, error.colno) == (4, 3)


def test_an_unknown_field_is_refused_at_its_key(tmp_path: Path) -> None:
    """A misspelt field is an error listing the known ones."""
    text = with_second(
        '  {"user": "bob@acme.example", "idp": "Okta",\n'
        '   "authenticated_at": "2026-11-22T08:15:00Z",\n'
        '   "roles": ["admin"]}'
    )
    error = load_error(tmp_path, text)
    assert error.message == f"session 2: `roles`: unknown field (known: {FIELDS})"
    assert (error.lineno, error.colno) == (6, 4)
    assert text[error.span.start : error.span.end] == '"roles"'


def test_a_missing_user_points_at_the_session(tmp_path: Path) -> None:
    """A required field that is not there is reported at the session's start."""
    text = with_second(
        '  {"idp": "Okta",\n   "authenticated_at": "2026-11-22T08:15:00Z"}'
    )
    error = load_error(tmp_path, text)
    assert error.message == "session 2: `user`: required field is missing"
    assert (error.lineno, error.colno) == (4, 3)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("user", "5", "`user`: expected a string, got 5"),
        ("user", '""', '`user`: expected a string, got ""'),
        ("idp", '["Okta"]', '`idp`: expected a string, got ["Okta"]'),
        ("platform", "true", "`platform`: expected a string, got true"),
        ("country", "{}", "`country`: expected a string, got {}"),
        ("client_type", "1", "`client_type`: expected a string, got 1"),
        ("machine_group", "[]", "`machine_group`: expected a string, got []"),
    ],
)
def test_strings_of_the_wrong_type_are_refused(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    """String fields must be strings (required ones non-empty), at their key."""
    body = {
        "user": '"bob@acme.example"',
        "idp": '"Okta"',
        "authenticated_at": '"2026-11-22T08:15:00Z"',
        field: value,
    }
    fields = ",\n   ".join(f'"{key}": {item}' for key, item in body.items())
    text = with_second(f"  {{{fields}}}")
    error = load_error(tmp_path, text)
    assert error.message == f"session 2: {message}"
    assert error.lineno == line_of(text, f'"{field}": {value}')


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            '"yesterday"',
            (
                "expected an ISO 8601 timestamp such as 2026-11-23T09:00:00Z, got "
                "`yesterday`"
            ),
        ),
        (
            '"2026-11-22T08:15:00"',
            "`2026-11-22T08:15:00` has no offset: add `Z` (UTC) or `+HH:MM`",
        ),
        ('"2026-11-22"', "`2026-11-22` has no offset: add `Z` (UTC) or `+HH:MM`"),
        ("1763799300", "expected a string, got 1763799300"),
        ("null", "required field is missing"),
    ],
)
def test_a_bad_authenticated_at_is_refused(
    tmp_path: Path, value: str, message: str
) -> None:
    """`authenticated_at` is an ISO 8601 string with an offset."""
    text = with_second(
        '  {"user": "bob@acme.example", "idp": "Okta",\n'
        f'   "authenticated_at": {value}}}'
    )
    error = load_error(tmp_path, text)
    assert error.message == f"session 2: `authenticated_at`: {message}"
    assert (error.lineno, error.colno) == (5, 4)


SAML_MESSAGE: Final = "`saml`: expected an object of strings or arrays of strings"
POSTURE_MESSAGE: Final = "`posture`: expected an object of true/false values"
NETWORKS_MESSAGE: Final = "`trusted_networks`: expected an array of strings"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("saml", '{"role": 5}', SAML_MESSAGE),
        ("saml", '{"role": ["admin", 5]}', SAML_MESSAGE),
        ("saml", '{"role": null}', SAML_MESSAGE),
        ("saml", '"role=admin"', SAML_MESSAGE),
        ("posture", '{"CrowdStrike running": "yes"}', POSTURE_MESSAGE),
        ("posture", '["CrowdStrike running"]', POSTURE_MESSAGE),
        ("trusted_networks", '"HQ"', NETWORKS_MESSAGE),
        ("trusted_networks", '["HQ", 1]', NETWORKS_MESSAGE),
        ("trusted_networks", '{"HQ": true}', NETWORKS_MESSAGE),
    ],
)
def test_structured_fields_of_the_wrong_shape_are_refused(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    """saml, posture and trusted_networks have fixed shapes; errors are at the key."""
    text = with_second(
        '  {"user": "bob@acme.example", "idp": "Okta",\n'
        '   "authenticated_at": "2026-11-22T08:15:00Z",\n'
        f'   "{field}": {value}}}'
    )
    error = load_error(tmp_path, text)
    assert error.message == f"session 2: {message}"
    assert (error.lineno, error.colno) == (6, 4)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("saml", "[]", SAML_MESSAGE),
        ("saml", '""', SAML_MESSAGE),
        ("saml", "false", SAML_MESSAGE),
        ("posture", "[]", POSTURE_MESSAGE),
        ("posture", "0", POSTURE_MESSAGE),
        ("trusted_networks", '""', NETWORKS_MESSAGE),
        ("trusted_networks", "{}", NETWORKS_MESSAGE),
        ("trusted_networks", "false", NETWORKS_MESSAGE),
    ],
)
def test_empty_values_of_the_wrong_type_are_refused(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    """Regression: falsy values of the wrong type (`"saml": []`, `"trusted_networks":
    ""`) used to be taken as empty; only `null` is."""
    text = with_second(
        '  {"user": "bob@acme.example", "idp": "Okta",\n'
        '   "authenticated_at": "2026-11-22T08:15:00Z",\n'
        f'   "{field}": {value}}}'
    )
    error = load_error(tmp_path, text)
    assert error.message == f"session 2: {message}"
    assert (error.lineno, error.colno) == (6, 4)


def test_an_unknown_idp_points_at_the_idp_key(tmp_path: Path) -> None:
    """With ``idps``, an unknown IdP is reported at that session's `"idp"`, listing
    the IdPs."""
    text = with_second(
        '  {"user": "bob@acme.example",\n'
        '   "authenticated_at": "2026-11-22T08:15:00Z",\n'
        '   "idp": "Ping"}'
    )
    error = load_error(tmp_path, text, idps=frozenset({"Okta", "Entra"}))
    assert error.message == (
        "session 2: `idp`: no IdP named `Ping` (IdPs: `Entra`, `Okta`)"
    )
    assert (error.lineno, error.colno) == (6, 4)
    assert text[error.span.start : error.span.end] == '"idp"'


def test_the_field_key_is_found_at_the_top_of_the_session(tmp_path: Path) -> None:
    """Regression: the error used to point at the first `"idp"` text in the session,
    here a SAML attribute's name on an earlier line, not at the session's own key."""
    text = with_second(
        '  {"user": "bob@acme.example",\n'
        '   "saml": {"idp": "okta"},\n'
        '   "authenticated_at": "2026-11-22T08:15:00Z",\n'
        '   "idp": "Ping"}'
    )
    error = load_error(tmp_path, text, idps=frozenset({"Okta"}))
    assert error.message == "session 2: `idp`: no IdP named `Ping` (IdPs: `Okta`)"
    assert (error.lineno, error.colno) == (7, 4)


def test_a_field_key_written_with_escapes_is_found(tmp_path: Path) -> None:
    """A key spelt with JSON escapes is still pointed at (the whole key)."""
    text = with_second(
        '  {"user": "bob@acme.example", "idp": "Okta",\n'
        '   "authenticated_at": "2026-11-22T08:15:00Z",\n'
        '   "r\\u00f4le": "admin"}'
    )
    error = load_error(tmp_path, text)
    assert error.message == f"session 2: `r\u00f4le`: unknown field (known: {FIELDS})"
    assert (error.lineno, error.colno) == (6, 4)
    assert text[error.span.start : error.span.end] == '"r\\u00f4le"'


# -- round trips ---------------------------------------------------------------------


def test_to_json_writes_the_documented_form() -> None:
    """Single SAML values as strings, UTC as `Z`, empty fields left out."""
    session = Session(
        "ada@acme.example",
        "Okta",
        MONDAY,
        saml={"role": ["engineer", "oncall"], "department": "Engineering"},
        trusted_networks=frozenset({"Lab", "HQ"}),
    )
    assert session.to_json() == {
        "user": "ada@acme.example",
        "idp": "Okta",
        "authenticated_at": "2026-11-22T08:15:00Z",
        "saml": {"role": ["engineer", "oncall"], "department": "Engineering"},
        "client_type": "client_connector",
        "trusted_networks": ["HQ", "Lab"],
    }
    offset = Session(
        "a@x", "Okta", datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=1)))
    )
    assert offset.to_json()["authenticated_at"] == "2026-01-01T09:00:00+01:00"


SESSIONS: Final = (
    Session("ada@acme.example", "Okta", MONDAY),
    Session(
        "bob@acme.example",
        "Entra",
        datetime(2026, 11, 22, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=-5))),
        saml={"role": ["engineer", "oncall"], "team": "Ops", "none": []},
        client_type="machine_tunnel",
        platform="windows",
        country="DE",
        posture={"CrowdStrike running": True, "Disk encrypted": False},
        trusted_networks=frozenset({"HQ", "Lab"}),
        machine_group="Servers",
    ),
)


def test_to_json_round_trips_through_load_sessions(tmp_path: Path) -> None:
    """A list of ``to_json()`` bodies reads back as the same sessions."""
    path = write(tmp_path, json.dumps([s.to_json() for s in SESSIONS], indent=2))
    assert load_sessions(path, idps={"Okta", "Entra"}) == SESSIONS


def test_a_sub_minute_utc_offset_round_trips(tmp_path: Path) -> None:
    """Regression: an offset of +00:00:30 used to be written `Z:30`, which cannot be
    read back."""
    moment = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(seconds=30)))
    session = Session("a@x", "Okta", moment)
    assert session.to_json()["authenticated_at"] == "2026-01-01T09:00:00+00:00:30"
    path = write(tmp_path, json.dumps([session.to_json()]))
    assert load_sessions(path) == (session,)


LETTERS: Final = st.text(alphabet="abcxyz", min_size=1, max_size=4)
SMALL_TEXT: Final = st.text(alphabet='ab é"\\-', max_size=4)
IDPS: Final = ("Okta", "Entra", "Ping")
MOMENTS: Final = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001  bounds of a strategy with tz
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    """Small sessions: emails of a few letters, IdPs from a fixed list, UTC moments."""
    return Session(
        user=f"{draw(LETTERS)}@{draw(LETTERS)}.example",
        idp=draw(st.sampled_from(IDPS)),
        authenticated_at=draw(MOMENTS),
        saml=draw(
            st.dictionaries(
                SMALL_TEXT,
                st.one_of(SMALL_TEXT, st.lists(SMALL_TEXT, max_size=3)),
                max_size=3,
            )
        ),
        client_type=draw(st.sampled_from(["client_connector", "machine_tunnel"])),
        platform=draw(st.none() | st.sampled_from(PLATFORMS)),
        country=draw(st.none() | st.sampled_from(["US", "DE", "JP"])),
        posture=draw(st.dictionaries(SMALL_TEXT, st.booleans(), max_size=2)),
        trusted_networks=draw(st.frozensets(LETTERS, max_size=3)),
        machine_group=draw(st.none() | LETTERS),
    )


@given(st.lists(sessions(), max_size=4), st.booleans())
def test_every_session_round_trips(found: list[Session], wrapped: bool) -> None:
    """Property: any sessions, written with ``to_json()`` (as an array or in the
    wrapper object), read back equal."""
    bodies: Any = [s.to_json() for s in found]
    if wrapped:
        bodies = {"sessions": bodies}
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), json.dumps(bodies, indent=1, ensure_ascii=False))
        assert load_sessions(path, idps=IDPS) == tuple(found)
