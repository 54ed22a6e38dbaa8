"""``load_workspace``: a tenant folder (docs/tenant-files.md) loads as a World.

A valid folder gives the IdPs with their settings, the segments, the checked policy,
the sessions and ``now``; every error names the file, the line and the field, and is
of the documented type (DataFileError, PolicySyntaxError, PolicyCheckError, OSError).
The World it gives is immutable.
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import attrs
import pytest

from scimpolicy.errors import DataFileError, PolicyCheckError, PolicySyntaxError
from scimpolicy.policy.tenant import PortRange
from scimpolicy.scim.directory import Directory
from scimpolicy.server import Store
from scimpolicy.workspace.files import TomlText, load_workspace, read_toml
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

TENANT: Final = """\
# A small tenant.
policy = "small.policy"
sessions = "sessions.json"
now = 2026-11-23T09:00:00Z

[[idp]]
name = "Okta"
directory = "okta"
scim_sync = true
scim_attributes_for_policy = true
scim_attributes_enabled_at = 2026-11-20T09:00:00+01:00

[[idp]]
name = "Entra"
directory = "entra"

[[segment]]
name = "Git"
domains = ["git.acme.example", "*.git.acme.example"]
ports = [443, "8000-8100"]
segment_group = "Engineering Apps"

[[segment]]
name = "Wiki"
domains = ["wiki.acme.example"]
"""

POLICY: Final = """\
access:
  rule "Eng": allow when scim.department == "Engineering" and app == "Git"
  default: deny
"""

SESSIONS: Final = """\
[
  {"user": "ada@acme.example", "idp": "Okta",
   "authenticated_at": "2026-11-22T08:15:00Z",
   "saml": {"role": ["engineer", "oncall"], "department": "Engineering"},
   "platform": "mac", "country": "US", "posture": {"CrowdStrike running": true},
   "trusted_networks": ["HQ"], "machine_group": null},
  {"user": "bob@acme.example", "idp": "Okta",
   "authenticated_at": "2026-11-22T10:00:00+01:00"},
  {"user": "carol@acme.example", "idp": "Entra",
   "authenticated_at": "2026-11-21T12:00:00Z", "client_type": "machine_tunnel"}
]
"""

KNOWN_IDP_KEYS: Final = (
    "name, directory, scim_sync, scim_attributes_for_policy, "
    "scim_attributes_enabled_at, saml_attributes_for_policy"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def scim_user(
    user_id: str, user_name: str, department: str | None = None
) -> dict[str, Any]:
    """A SCIM User resource, with the Enterprise extension when a department is given."""
    body: dict[str, Any] = {
        "schemas": [CORE_USER],
        "id": user_id,
        "userName": user_name,
    }
    if department is not None:
        body["schemas"] = [CORE_USER, ENTERPRISE]
        body[ENTERPRISE] = {"department": department}
    return body


def tenant_folder(
    root: Path,
    tenant: str = TENANT,
    *,
    policy: str = POLICY,
    sessions: str | None = SESSIONS,
) -> Path:
    """A tenant folder: tenant.toml, small.policy, sessions.json, okta/ and entra/.

    Okta's users.json is a ListResponse (Ada in Engineering, Bob in Sales, group
    Engineers = Ada); Entra's is a plain array (Carol).
    """
    folder = root / "tenant"
    write(folder / "tenant.toml", tenant)
    write(folder / "small.policy", policy)
    if sessions is not None:
        write(folder / "sessions.json", sessions)
    okta_users = [
        scim_user("u1", "ada@acme.example", "Engineering"),
        scim_user("u2", "bob@acme.example", "Sales"),
    ]
    write(
        folder / "okta" / "users.json",
        json.dumps(
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": len(okta_users),
                "Resources": okta_users,
            },
            indent=2,
        ),
    )
    write(
        folder / "okta" / "groups.json",
        json.dumps(
            [
                {
                    "schemas": [CORE_GROUP],
                    "id": "g1",
                    "displayName": "Engineers",
                    "members": [{"value": "u1"}],
                }
            ],
            indent=2,
        ),
    )
    write(
        folder / "entra" / "users.json",
        json.dumps([scim_user("e1", "carol@acme.example")], indent=2),
    )
    write(folder / "entra" / "groups.json", "[]")
    return folder


def tenant_error(tmp_path: Path, tenant: str) -> DataFileError:
    """The DataFileError loading a folder with this tenant.toml; it names the file."""
    folder = tenant_folder(tmp_path, tenant)
    with pytest.raises(DataFileError) as caught:
        load_workspace(folder)
    assert caught.value.origin == str(folder / "tenant.toml")
    return caught.value


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the *occurrence*-th line of *text* containing *needle*."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return found[occurrence - 1]


def session_named(world: World, user: str) -> Session:
    return next(s for s in world.sessions if s.user == user)


# -- a valid folder -----------------------------------------------------------------


def test_a_valid_folder_loads_the_idps_with_their_settings(tmp_path: Path) -> None:
    """Every IdP key is read; unset flags take their documented defaults."""
    world = load_workspace(tenant_folder(tmp_path))
    okta, entra = world.tenant.idps
    assert okta.name == "Okta"
    assert (okta.scim_sync, okta.scim_attributes_for_policy) == (True, True)
    assert okta.scim_attributes_enabled_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert okta.scim_attributes_enabled_at.utcoffset() == timedelta(hours=1)
    assert okta.saml_attributes_for_policy is True
    assert entra.name == "Entra"
    assert (entra.scim_sync, entra.scim_attributes_for_policy) == (False, False)
    assert entra.scim_attributes_enabled_at is None
    assert entra.saml_attributes_for_policy is True
    assert world.idp("Okta") is okta


def test_each_idp_gets_its_own_scim_directory(tmp_path: Path) -> None:
    """users.json as a ListResponse and as an array both load, with group members."""
    world = load_workspace(tenant_folder(tmp_path))
    okta = world.idp("Okta").directory
    ada = okta.user_by_name("ADA@acme.example")
    assert ada is not None
    assert ada.id == "u1"
    assert okta.group_names_of("u1") == frozenset({"Engineers"})
    assert okta.user_by_name("carol@acme.example") is None
    assert world.idp("Entra").directory.user_by_name("carol@acme.example") is not None
    assert world.tenant.scim_groups == frozenset({"Engineers"})


def test_segments_load_with_domains_ports_and_groups(tmp_path: Path) -> None:
    """Ports are numbers or "low-high" strings; a segment without ports has none."""
    world = load_workspace(tenant_folder(tmp_path))
    git, wiki = world.tenant.segments
    assert git.name == "Git"
    assert git.domains == ("git.acme.example", "*.git.acme.example")
    assert git.ports == (PortRange(443, 443), PortRange(8000, 8100))
    assert git.segment_group == "Engineering Apps"
    assert (wiki.name, wiki.domains, wiki.ports) == ("Wiki", ("wiki.acme.example",), ())
    assert wiki.segment_group is None
    assert world.tenant.segment_groups == frozenset({"Engineering Apps"})
    assert list(world.applications()) == ["Git", "Wiki"]
    assert world.tenant.resolve("ci.git.acme.example", 8050) is git


def test_now_and_the_default_presence_client_types(tmp_path: Path) -> None:
    """``now`` comes from the file; presence_client_types defaults to Client Connector."""
    world = load_workspace(tenant_folder(tmp_path))
    assert world.now == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert world.now.tzinfo is not None
    assert world.tenant.presence_client_types == frozenset({"zpn_client_type_zapp"})


def test_sessions_are_read_with_their_defaults(tmp_path: Path) -> None:
    """SAML values become tuples; unset fields take the documented defaults."""
    world = load_workspace(tenant_folder(tmp_path))
    assert [s.user for s in world.sessions] == [
        "ada@acme.example",
        "bob@acme.example",
        "carol@acme.example",
    ]
    ada, bob, carol = world.sessions
    assert ada == Session(
        user="ada@acme.example",
        idp="Okta",
        authenticated_at=datetime(2026, 11, 22, 8, 15, tzinfo=UTC),
        saml={"role": ("engineer", "oncall"), "department": ("Engineering",)},
        client_type="client_connector",
        platform="mac",
        country="US",
        posture={"CrowdStrike running": True},
        trusted_networks=frozenset({"HQ"}),
        machine_group=None,
    )
    assert bob.authenticated_at == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert (bob.saml, bob.posture, bob.trusted_networks) == ({}, {}, frozenset())
    assert (bob.client_type, bob.platform, bob.country) == (
        "client_connector",
        None,
        None,
    )
    assert bob.machine_group is None
    assert (carol.idp, carol.client_type) == ("Entra", "machine_tunnel")


def test_the_folder_and_its_tenant_file_load_alike(tmp_path: Path) -> None:
    """``load_workspace`` takes the folder or the tenant.toml in it, as Path or str."""
    folder = tenant_folder(tmp_path)
    from_folder = load_workspace(folder)
    from_file = load_workspace(folder / "tenant.toml")
    from_text = load_workspace(str(folder))
    assert from_folder.origin == from_file.origin == folder / "tenant.toml"
    assert from_text.origin == folder / "tenant.toml"
    assert from_folder.now == from_file.now
    assert from_folder.sessions == from_file.sessions == from_text.sessions
    assert from_folder.policy == from_file.policy
    assert [s.name for s in from_folder.tenant.segments] == ["Git", "Wiki"]


def test_a_tenant_file_under_another_name_loads(tmp_path: Path) -> None:
    """Paths in the file are relative to the tenant file, whatever its name."""
    folder = tenant_folder(tmp_path)
    (folder / "tenant.toml").rename(folder / "staging.toml")
    world = load_workspace(folder / "staging.toml")
    assert world.origin == folder / "staging.toml"
    assert len(world.sessions) == 3


def test_decisions_follow_the_department(tmp_path: Path) -> None:
    """Ada (Engineering) is allowed Git by the rule; Bob (Sales) gets the default."""
    world = load_workspace(tenant_folder(tmp_path))
    engine = world.engine()
    ada = engine.decide_access(
        session_named(world, "ada@acme.example").request(world.now, app="Git")
    )
    assert ada.allowed
    assert ada.rule == "Eng"
    bob = engine.decide_access(
        session_named(world, "bob@acme.example").request(world.now, app="Git")
    )
    assert not bob.allowed
    assert bob.rule is None
    wiki = engine.decide_access(
        session_named(world, "ada@acme.example").request(world.now, app="Wiki")
    )
    assert not wiki.allowed


def test_scim_criteria_count_only_after_enabled_at(tmp_path: Path) -> None:
    """A session authenticated before scim_attributes_enabled_at gets no SCIM rule."""
    world = load_workspace(tenant_folder(tmp_path))
    ada = session_named(world, "ada@acme.example")
    before = attrs.evolve(ada, authenticated_at=datetime(2026, 11, 20, 7, tzinfo=UTC))
    decision = world.engine().decide_access(before.request(world.now, app="Git"))
    assert not decision.allowed


def test_the_policy_is_checked_against_the_tenant(tmp_path: Path) -> None:
    """A rule naming an application that is not a segment stops the load; the error
    names the policy file."""
    policy = 'access:\n  rule "Eng": allow when app == "Jira"\n  default: deny\n'
    folder = tenant_folder(tmp_path, policy=policy)
    with pytest.raises(PolicyCheckError) as caught:
        load_workspace(folder)
    error = caught.value
    assert error.origin == str(folder / "small.policy")
    assert error.source == policy
    assert [d.code for d in error.diagnostics] == ["unknown-application"]
    assert str(folder / "small.policy") in str(error)


def test_a_policy_syntax_error_names_the_policy_file(tmp_path: Path) -> None:
    """A policy that cannot be parsed is a PolicySyntaxError at its line."""
    policy = 'access:\n  rule "Eng": allow when app ==\n  default: deny\n'
    folder = tenant_folder(tmp_path, policy=policy)
    with pytest.raises(PolicySyntaxError) as caught:
        load_workspace(folder)
    assert caught.value.origin == str(folder / "small.policy")
    assert caught.value.lineno == 3


def test_checker_warnings_are_kept_on_the_compiled_policy(tmp_path: Path) -> None:
    """The world's compiled policy is the checked one (with its diagnostics)."""
    world = load_workspace(tenant_folder(tmp_path))
    assert world.compiled is world.compiled
    assert world.compiled.policy == world.policy


def test_sessions_are_optional(tmp_path: Path) -> None:
    """Without a `sessions` key the world has no sessions."""
    tenant = TENANT.replace('sessions = "sessions.json"\n', "")
    world = load_workspace(tenant_folder(tmp_path, tenant, sessions=None))
    assert world.sessions == ()


def test_now_defaults_to_the_current_time(tmp_path: Path) -> None:
    """Without `now`, decisions are made for the current time (aware, UTC)."""
    tenant = TENANT.replace("now = 2026-11-23T09:00:00Z\n", "")
    before = datetime.now(UTC)
    world = load_workspace(tenant_folder(tmp_path, tenant))
    assert before <= world.now <= datetime.now(UTC)


def test_now_may_be_a_string_with_an_offset(tmp_path: Path) -> None:
    """A quoted ISO 8601 timestamp with an offset is read like a TOML datetime."""
    tenant = TENANT.replace(
        "now = 2026-11-23T09:00:00Z", 'now = "2026-11-23T10:00:00+01:00"'
    )
    world = load_workspace(tenant_folder(tmp_path, tenant))
    assert world.now == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_presence_client_types_take_short_names_and_zpa_values(
    tmp_path: Path,
) -> None:
    """Short names (any case) and ``zpn_client_type_*`` values are both accepted."""
    tenant = 'presence_client_types = ["Machine_Tunnel", "zpn_client_type_zapp"]\n'
    world = load_workspace(tenant_folder(tmp_path, tenant + TENANT))
    assert world.tenant.presence_client_types == frozenset(
        {"zpn_client_type_machine_tunnel", "zpn_client_type_zapp"}
    )


def test_an_empty_presence_client_types_is_kept(tmp_path: Path) -> None:
    """Regression: `presence_client_types = []` means no client type, not the default
    (it used to fall back to Client Connector silently)."""
    tenant = "presence_client_types = []\n" + TENANT
    world = load_workspace(tenant_folder(tmp_path, tenant))
    assert world.tenant.presence_client_types == frozenset()


# -- tenant.toml errors ----------------------------------------------------------


def test_invalid_toml_is_reported_at_tomllib_line_and_column(tmp_path: Path) -> None:
    """tomllib's position becomes the error's line and column; the message is
    lowercased and loses tomllib's own position suffix."""
    tenant = TENANT.replace("scim_sync = true", "scim_sync = yes")
    error = tenant_error(tmp_path, tenant)
    assert error.message == "invalid value"
    assert (error.lineno, error.colno) == (line_of(tenant, "scim_sync = yes"), 13)
    assert error.headline().endswith(
        f"tenant.toml: invalid value (at line {error.lineno}, column 13)"
    )


def test_a_toml_error_at_the_end_of_the_document_points_there(tmp_path: Path) -> None:
    """Regression: tomllib says "at end of document" (no line) for a truncated file;
    the error used to point at line 1, column 1 and repeat tomllib's suffix."""
    tenant = TENANT + "[[segment]]\nname = "
    error = tenant_error(tmp_path, tenant)
    assert error.message == "invalid value"
    assert (error.lineno, error.colno) == (tenant.count("\n") + 1, 8)


def test_toml_positions_count_lines_by_newlines_only(tmp_path: Path) -> None:
    """Regression: a U+2028 in a comment is not a line break for tomllib; the column
    used to be off by the characters before it."""
    path = write(tmp_path / "t.toml", 'policy = "p"  # a\u2028b\nnow = @\n')
    with pytest.raises(DataFileError) as caught:
        read_toml(path)
    assert caught.value.message == "invalid value"
    assert (caught.value.lineno, caught.value.colno) == (2, 7)
    assert caught.value.origin == str(path)


def test_read_toml_gives_the_text_and_the_data(tmp_path: Path) -> None:
    """A valid file gives its text (for positions) and tomllib's data."""
    path = write(tmp_path / "t.toml", 'policy = "p"\n')
    source, data = read_toml(path)
    assert isinstance(source, TomlText)
    assert (source.text, source.origin) == ('policy = "p"\n', str(path))
    assert data == {"policy": "p"}


def test_toml_text_points_at_keys_and_headers() -> None:
    """``span`` finds a key of the n-th ``[[table]]``, else that table's header, and a
    top-level key only before the first table."""
    text = 'policy = "p"\n\n[[idp]]\nname = "A"\n\n  [[idp]]\n  name = "B"\n'
    source = TomlText(text, "t.toml")
    assert source.error("m", "idp", 1, "name").lineno == 7
    assert source.error("m", "idp", 1, "name").colno == 3
    assert source.error("m", "idp", 0, "name").lineno == 4
    header = source.error("m", "idp", 1, "directory")
    assert (header.lineno, header.colno) == (6, 3)
    assert text[header.span.start : header.span.end] == "[[idp]]"
    assert source.error("m", None, 0, "policy").lineno == 1
    assert source.error("m", None, 0, "name").lineno == 1  # only [[idp]] has `name`
    assert source.error("m", "segment", 0, "name").span.start == 0  # no such table
    assert TomlText("", "t.toml").error("m").span.end == 0


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    """A misspelt key is an error at its line, listing the known keys."""
    tenant = TENANT.replace("now = ", "polcy = 1\nnow = ")
    error = tenant_error(tmp_path, tenant)
    assert error.message == (
        "unknown key `polcy` in the top level (known: policy, sessions, now, "
        "presence_client_types, idp, segment)"
    )
    assert (error.lineno, error.colno) == (line_of(tenant, "polcy"), 1)


def test_an_unknown_key_in_the_second_idp_points_at_that_key(tmp_path: Path) -> None:
    """`scim_snyc` in the 2nd [[idp]] is reported there, not in the 1st."""
    tenant = TENANT.replace(
        'directory = "entra"\n', 'directory = "entra"\nscim_snyc = true\n'
    )
    error = tenant_error(tmp_path, tenant)
    assert error.message == (
        f"unknown key `scim_snyc` in [[idp]] 2 (known: {KNOWN_IDP_KEYS})"
    )
    assert error.lineno == line_of(tenant, "scim_snyc")
    assert error.span.end - error.span.start == len("scim_snyc")


def test_an_unknown_key_in_a_segment_is_refused(tmp_path: Path) -> None:
    """Segments have their own known keys."""
    tenant = TENANT + "port = 443\n"
    error = tenant_error(tmp_path, tenant)
    assert error.message == (
        "unknown key `port` in [[segment]] 2 (known: name, domains, ports, "
        "segment_group)"
    )
    assert error.lineno == line_of(tenant, "port = 443")


@pytest.mark.parametrize(
    ("missing", "replacement"),
    [("name", 'name = "Entra"\n'), ("directory", 'directory = "entra"\n')],
)
def test_a_missing_idp_key_points_at_the_table_header(
    tmp_path: Path, missing: str, replacement: str
) -> None:
    """`name` and `directory` are required; the error is at that [[idp]] header."""
    tenant = TENANT.replace(replacement, "")
    error = tenant_error(tmp_path, tenant)
    assert error.message == f"`{missing}` is required"
    assert error.lineno == line_of(tenant, "[[idp]]", 2)
    assert tenant[error.span.start : error.span.end] == "[[idp]]"


def test_a_segment_without_a_name_points_at_its_header(tmp_path: Path) -> None:
    """A segment's `name` is required too."""
    tenant = TENANT + '\n[[segment]]\ndomains = ["x.example"]\n'
    error = tenant_error(tmp_path, tenant)
    assert error.message == "`name` is required"
    assert error.lineno == line_of(tenant, "[[segment]]", 3)


@pytest.mark.parametrize(
    ("line", "replacement", "message"),
    [
        ('name = "Entra"', 'name = ""', "`name`: expected a non-empty string"),
        ('name = "Entra"', "name = 5", "`name`: expected a non-empty string"),
        (
            'directory = "entra"',
            "directory = []",
            "`directory`: expected a non-empty string",
        ),
        (
            'segment_group = "Engineering Apps"',
            "segment_group = true",
            "`segment_group`: expected a non-empty string",
        ),
        (
            'domains = ["wiki.acme.example"]',
            'domains = "wiki.acme.example"',
            "`domains`: expected an array of strings",
        ),
        (
            'domains = ["wiki.acme.example"]',
            'domains = ["wiki.acme.example", 7]',
            "`domains`: expected an array of strings",
        ),
    ],
)
def test_values_of_the_wrong_type_point_at_their_key(
    tmp_path: Path, line: str, replacement: str, message: str
) -> None:
    """Strings must be non-empty strings, arrays arrays of strings."""
    tenant = TENANT.replace(line, replacement)
    error = tenant_error(tmp_path, tenant)
    assert error.message == message
    assert error.lineno == line_of(tenant, replacement)


def test_a_second_idp_of_the_same_name_is_refused(tmp_path: Path) -> None:
    """IdP names are unique; the error is at the second `name`."""
    tenant = TENANT.replace('name = "Entra"', 'name = "Okta"')
    error = tenant_error(tmp_path, tenant)
    assert error.message == "a second IdP named `Okta`"
    assert error.lineno == line_of(tenant, 'name = "Okta"', 2)


def test_a_second_segment_of_the_same_name_is_refused(tmp_path: Path) -> None:
    """Segment names are unique; the error is at the second `name`."""
    tenant = TENANT.replace('name = "Wiki"', 'name = "Git"')
    error = tenant_error(tmp_path, tenant)
    assert error.message == "a second segment named `Git`"
    assert error.lineno == line_of(tenant, 'name = "Git"', 2)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("scim_sync", '"yes"'),
        ("scim_attributes_for_policy", "1"),
        ("saml_attributes_for_policy", '"false"'),
    ],
)
def test_a_flag_that_is_not_a_boolean_is_refused(
    tmp_path: Path, flag: str, value: str
) -> None:
    """Flags are TOML booleans; the error is at the flag in the 2nd [[idp]]."""
    tenant = TENANT.replace(
        'directory = "entra"\n', f'directory = "entra"\n{flag} = {value}\n'
    )
    error = tenant_error(tmp_path, tenant)
    assert error.message == f"`{flag}`: expected true or false"
    assert error.lineno == line_of(tenant, f"{flag} = {value}")


def test_scim_attributes_for_policy_needs_enabled_at(tmp_path: Path) -> None:
    """Turning SCIM Attributes for Policy on without saying when is an error at the
    setting."""
    tenant = TENANT.replace(
        "scim_attributes_enabled_at = 2026-11-20T09:00:00+01:00\n", ""
    )
    error = tenant_error(tmp_path, tenant)
    assert error.message == (
        "`scim_attributes_enabled_at` is required when `scim_attributes_for_policy` "
        "is true (SCIM criteria count only for sessions authenticated after it)"
    )
    assert error.lineno == line_of(tenant, "scim_attributes_for_policy = true")


def test_enabled_at_without_the_setting_is_kept(tmp_path: Path) -> None:
    """`scim_attributes_enabled_at` alone is read (the setting stays off)."""
    tenant = TENANT.replace(
        'directory = "entra"\n',
        'directory = "entra"\nscim_attributes_enabled_at = 2026-01-01T00:00:00Z\n',
    )
    world = load_workspace(tenant_folder(tmp_path, tenant))
    entra = world.idp("Entra")
    assert entra.scim_attributes_for_policy is False
    assert entra.scim_attributes_enabled_at == datetime(2026, 1, 1, tzinfo=UTC)


SUCH_AS: Final = "expected a date and time with an offset, such as 2026-11-23T09:00:00Z"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-20T09:00:00", f"`scim_attributes_enabled_at`: {SUCH_AS}"),
        ("2026-11-20", f"`scim_attributes_enabled_at`: {SUCH_AS}"),
        (
            "09:00:00",
            "`scim_attributes_enabled_at`: expected a date and time with an offset",
        ),
        (
            "1700000000",
            "`scim_attributes_enabled_at`: expected a date and time with an offset",
        ),
        (
            '"2026-11-20T09:00:00"',
            (
                "`scim_attributes_enabled_at`: `2026-11-20T09:00:00` has no offset: "
                "add `Z` (UTC) or `+HH:MM`"
            ),
        ),
        (
            '"last week"',
            (
                "`scim_attributes_enabled_at`: expected an ISO 8601 timestamp such "
                "as 2026-11-23T09:00:00Z, got `last week`"
            ),
        ),
    ],
)
def test_enabled_at_must_be_an_absolute_moment(
    tmp_path: Path, value: str, message: str
) -> None:
    """Local datetimes, dates, times, numbers and strings without an offset are
    refused at the key."""
    tenant = TENANT.replace("2026-11-20T09:00:00+01:00", value)
    error = tenant_error(tmp_path, tenant)
    assert error.message == message
    assert error.lineno == line_of(tenant, "scim_attributes_enabled_at")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-23T09:00:00", f"`now`: {SUCH_AS}"),
        ("2026-11-23", f"`now`: {SUCH_AS}"),
        (
            '"2026-11-23T09:00:00"',
            "`now`: `2026-11-23T09:00:00` has no offset: add `Z` (UTC) or `+HH:MM`",
        ),
        (
            '"2026-11-23"',
            "`now`: `2026-11-23` has no offset: add `Z` (UTC) or `+HH:MM`",
        ),
    ],
)
def test_now_must_carry_an_offset(tmp_path: Path, value: str, message: str) -> None:
    """`now` is a top-level moment: the same rules, at its line."""
    tenant = TENANT.replace("now = 2026-11-23T09:00:00Z", f"now = {value}")
    error = tenant_error(tmp_path, tenant)
    assert error.message == message
    assert error.lineno == line_of(tenant, "now = ")


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ("[0]", "`ports`: `0` is not a port or range within 1-65535"),
        ("[443, 70000]", "`ports`: `70000` is not a port or range within 1-65535"),
        ('["10-5"]', "`ports`: `10-5` is not a port or range within 1-65535"),
        ('["0-80"]', "`ports`: `0-80` is not a port or range within 1-65535"),
        ('["1-65536"]', "`ports`: `1-65536` is not a port or range within 1-65535"),
        ('["abc"]', '`ports`: expected port numbers or "low-high" ranges, got `abc`'),
        ('["443"]', '`ports`: expected port numbers or "low-high" ranges, got `443`'),
        ("[443.0]", '`ports`: expected port numbers or "low-high" ranges, got `443.0`'),
        ("[true]", '`ports`: expected port numbers or "low-high" ranges, got `True`'),
        ("443", "`ports`: expected an array"),
        ('"443"', "`ports`: expected an array"),
    ],
)
def test_bad_ports_are_refused_at_the_ports_key(
    tmp_path: Path, ports: str, message: str
) -> None:
    """Ports are 1-65535, ranges low-high with low <= high, all in an array."""
    tenant = TENANT.replace('ports = [443, "8000-8100"]', f"ports = {ports}")
    error = tenant_error(tmp_path, tenant)
    assert error.message == message
    assert error.lineno == line_of(tenant, "ports = ")


def test_port_ranges_may_have_spaces_and_span_every_port(tmp_path: Path) -> None:
    """`"1 - 65535"` is the whole range; a one-port range is allowed."""
    tenant = TENANT.replace(
        'ports = [443, "8000-8100"]', 'ports = ["1 - 65535", "22-22", 65535]'
    )
    world = load_workspace(tenant_folder(tmp_path, tenant))
    assert world.tenant.segments[0].ports == (
        PortRange(1, 65535),
        PortRange(22, 22),
        PortRange(65535, 65535),
    )


def test_an_unknown_presence_client_type_is_refused(tmp_path: Path) -> None:
    """Client types are ZPA's, by short name or API value."""
    tenant = 'presence_client_types = ["client_connector", "carrier_pigeon"]\n' + TENANT
    error = tenant_error(tmp_path, tenant)
    assert error.message.startswith(
        "`presence_client_types`: unknown client type `carrier_pigeon` (known: "
        "web_browser, web_browser_unauthenticated, machine_tunnel, "
    )
    assert error.message.endswith(", vdi)")
    assert error.lineno == 1


def test_presence_client_types_must_be_strings(tmp_path: Path) -> None:
    """A non-array is refused at the key."""
    tenant = 'presence_client_types = "client_connector"\n' + TENANT
    error = tenant_error(tmp_path, tenant)
    assert error.message == "`presence_client_types`: expected an array of strings"
    assert error.lineno == 1


def test_a_tenant_without_idps_is_refused(tmp_path: Path) -> None:
    """At least one [[idp]] is needed; the error is at the top of the file."""
    tenant = 'policy = "small.policy"\n\n[[segment]]\nname = "Git"\n'
    error = tenant_error(tmp_path, tenant)
    assert error.message == "the tenant has no [[idp]] table; add one per IdP"
    assert (error.lineno, error.colno) == (1, 1)


@pytest.mark.parametrize("value", ['"Okta"', "[1, 2]", '{name = "Okta"}'])
def test_idp_must_be_an_array_of_tables(tmp_path: Path, value: str) -> None:
    """`idp = ...` that is not [[idp]] tables is refused at the key."""
    tenant = f'policy = "small.policy"\nidp = {value}\n'
    error = tenant_error(tmp_path, tenant)
    assert error.message == "`idp`: expected [[idp]] tables"
    assert error.lineno == 2


def test_segment_must_be_an_array_of_tables(tmp_path: Path) -> None:
    """Likewise `segment`."""
    tenant = 'segment = "Git"\n' + TENANT[: TENANT.index("[[segment]]")]
    error = tenant_error(tmp_path, tenant)
    assert error.message == "`segment`: expected [[segment]] tables"
    assert error.lineno == 1


def test_inline_idp_tables_load(tmp_path: Path) -> None:
    """An array of inline tables is the same data as [[idp]] tables."""
    tenant = (
        'policy = "small.policy"\n'
        'idp = [{name = "Okta", directory = "okta"}, '
        '{name = "Entra", directory = "entra"}]\n'
        'segment = [{name = "Git"}, {name = "Wiki"}]\n'
    )
    world = load_workspace(tenant_folder(tmp_path, tenant))
    assert [idp.name for idp in world.tenant.idps] == ["Okta", "Entra"]


def test_the_policy_key_is_required(tmp_path: Path) -> None:
    """Without `policy` the error is at the top of the file."""
    tenant = TENANT.replace('policy = "small.policy"\n', "")
    error = tenant_error(tmp_path, tenant)
    assert error.message == "`policy` is required"
    assert (error.lineno, error.colno) == (1, 1)


def test_a_missing_policy_file_is_an_os_error(tmp_path: Path) -> None:
    """A policy file that is not there raises FileNotFoundError naming it."""
    tenant = TENANT.replace("small.policy", "missing.policy")
    folder = tenant_folder(tmp_path, tenant)
    with pytest.raises(FileNotFoundError) as caught:
        load_workspace(folder)
    assert caught.value.filename == str(folder / "missing.policy")


def test_a_missing_sessions_file_is_an_os_error(tmp_path: Path) -> None:
    """A sessions file named in the tenant file must be there."""
    folder = tenant_folder(tmp_path, sessions=None)
    with pytest.raises(FileNotFoundError) as caught:
        load_workspace(folder)
    assert caught.value.filename == str(folder / "sessions.json")


def test_a_missing_tenant_file_is_an_os_error(tmp_path: Path) -> None:
    """A folder without tenant.toml raises FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError) as caught:
        load_workspace(tmp_path)
    assert caught.value.filename == str(tmp_path / "tenant.toml")


def test_a_missing_directory_folder_is_an_os_error(tmp_path: Path) -> None:
    """An IdP's `directory` must be a folder."""
    tenant = TENANT.replace('directory = "entra"', 'directory = "azure"')
    folder = tenant_folder(tmp_path, tenant)
    with pytest.raises(FileNotFoundError) as caught:
        load_workspace(folder)
    assert str(caught.value) == f"no directory folder at `{folder / 'azure'}`"
    assert isinstance(caught.value, OSError)


def test_a_malformed_scim_export_names_its_file(tmp_path: Path) -> None:
    """An error in an IdP's users.json is a DataFileError of that file, at its line."""
    folder = tenant_folder(tmp_path)
    users = write(folder / "entra" / "users.json", '[\n  {"userName": "a@x"},\n  7\n]')
    with pytest.raises(DataFileError) as caught:
        load_workspace(folder)
    assert caught.value.origin == str(users)
    assert caught.value.message == "expected a JSON object for each resource"
    assert (caught.value.lineno, caught.value.colno) == (3, 3)


def test_invalid_json_in_groups_json_names_that_file(tmp_path: Path) -> None:
    """A syntax error in groups.json is reported there."""
    folder = tenant_folder(tmp_path)
    groups = write(folder / "okta" / "groups.json", "[\n  {]\n")
    with pytest.raises(DataFileError) as caught:
        load_workspace(folder)
    assert caught.value.origin == str(groups)
    assert caught.value.lineno == 2


def test_a_session_of_an_unknown_idp_names_the_sessions_file(tmp_path: Path) -> None:
    """Sessions are checked against the tenant's IdPs, at the line of `idp`."""
    sessions = SESSIONS.replace('"idp": "Entra"', '"idp": "Ping"')
    folder = tenant_folder(tmp_path, sessions=sessions)
    with pytest.raises(DataFileError) as caught:
        load_workspace(folder)
    error = caught.value
    assert error.origin == str(folder / "sessions.json")
    assert error.message == (
        "session 3: `idp`: no IdP named `Ping` (IdPs: `Entra`, `Okta`)"
    )
    assert error.lineno == line_of(sessions, '"idp": "Ping"')
    assert sessions[error.span.start : error.span.end] == '"idp"'


# -- World -----------------------------------------------------------------------


def test_a_world_is_frozen(tmp_path: Path) -> None:
    """Fields cannot be assigned."""
    world = load_workspace(tenant_folder(tmp_path))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        world.now = datetime(2030, 1, 1, tzinfo=UTC)  # type: ignore[misc]


def test_evolve_gives_a_new_world_and_keeps_the_old(tmp_path: Path) -> None:
    """``evolve(now=...)`` changes only the new world."""
    world = load_workspace(tenant_folder(tmp_path))
    later = datetime(2027, 1, 1, tzinfo=UTC)
    moved = world.evolve(now=later)
    assert moved is not world
    assert moved.now == later
    assert world.now == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert moved.tenant is world.tenant
    assert moved.policy is world.policy
    assert moved.sessions == world.sessions
    assert moved.origin == world.origin
    assert moved != world
    assert world.evolve() == world


def test_evolve_converts_sessions_to_a_tuple(tmp_path: Path) -> None:
    """A list of sessions becomes a tuple, as the constructor does."""
    world = load_workspace(tenant_folder(tmp_path))
    fewer = world.evolve(sessions=list(world.sessions[:1]))
    assert fewer.sessions == world.sessions[:1]
    assert isinstance(fewer.sessions, tuple)
    assert len(world.sessions) == 3


def test_with_idp_replaces_one_idp(tmp_path: Path) -> None:
    """The named IdP is replaced (in place in the order); the rest and the old world
    stay as they were, and decisions follow the new settings."""
    world = load_workspace(tenant_folder(tmp_path))
    okta = world.idp("Okta")
    off = attrs.evolve(okta, scim_sync=False)
    changed = world.with_idp(off)
    assert [idp.name for idp in changed.tenant.idps] == ["Okta", "Entra"]
    assert changed.idp("Okta") is off
    assert changed.idp("Entra") is world.idp("Entra")
    assert world.idp("Okta") is okta
    assert okta.scim_sync is True
    assert changed.tenant.segments == world.tenant.segments
    request = session_named(world, "ada@acme.example").request(world.now, app="Git")
    assert world.engine().decide_access(request).allowed
    assert not changed.engine().decide_access(request).allowed


def test_with_idp_of_an_unknown_name_raises_key_error(tmp_path: Path) -> None:
    """Only an existing IdP can be replaced."""
    world = load_workspace(tenant_folder(tmp_path))
    ping = attrs.evolve(world.idp("Okta"), name="Ping")
    with pytest.raises(KeyError) as caught:
        world.with_idp(ping)
    assert caught.value.args[0] == (
        "no IdP named `Ping` in the tenant (IdPs: `Okta`, `Entra`)"
    )


def test_idp_of_an_unknown_name_lists_the_idps(tmp_path: Path) -> None:
    """``world.idp("nope")`` raises KeyError naming the IdPs there are."""
    world = load_workspace(tenant_folder(tmp_path))
    with pytest.raises(KeyError) as caught:
        world.idp("nope")
    assert caught.value.args[0] == (
        "no IdP named `nope` in the tenant (IdPs: `Okta`, `Entra`)"
    )


def test_the_engine_is_made_once_per_world(tmp_path: Path) -> None:
    """``engine()`` is cached; an evolved world has its own engine and compiled
    policy."""
    world = load_workspace(tenant_folder(tmp_path))
    engine = world.engine()
    assert world.engine() is engine
    moved = world.evolve(now=datetime(2027, 1, 1, tzinfo=UTC))
    assert moved.engine() is not engine
    assert moved.engine() is moved.engine()
    assert moved.compiled is not world.compiled
    assert moved.compiled.policy == world.compiled.policy


def test_a_world_built_in_memory_compiles_its_policy(tmp_path: Path) -> None:
    """A World made directly (no tenant file) compiles on first use."""
    loaded = load_workspace(tenant_folder(tmp_path))
    world = World(loaded.tenant, loaded.policy, loaded.now)
    assert world.origin is None
    assert world.sessions == ()
    assert world.compiled is world.compiled
    ada = session_named(loaded, "ada@acme.example")
    assert world.engine().decide_access(ada.request(world.now, app="Git")).allowed


def test_a_world_of_a_tenant_with_an_offset_now_keeps_it(tmp_path: Path) -> None:
    """`now` with a non-UTC offset is kept as written (an aware datetime)."""
    tenant = TENANT.replace("2026-11-23T09:00:00Z", "2026-11-23T10:30:00+01:30")
    world = load_workspace(tenant_folder(tmp_path, tenant))
    assert world.now.utcoffset() == timedelta(hours=1, minutes=30)
    assert world.now == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_toml_error_without_a_position_points_at_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should tomllib give no position, the error is at line 1, column 1."""

    def refuse(text: str) -> dict[str, Any]:
        raise tomllib.TOMLDecodeError(f"Something odd in {len(text)} characters")

    monkeypatch.setattr(tomllib, "loads", refuse)
    path = write(tmp_path / "t.toml", "policy = 1\n")
    with pytest.raises(DataFileError) as caught:
        read_toml(path)
    assert caught.value.message == "something odd in 11 characters"
    assert (caught.value.lineno, caught.value.colno) == (1, 1)


# -- a server's data folder as an IdP's directory ------------------------------------


def test_a_directory_can_be_a_scim_server_data_folder(tmp_path: Path) -> None:
    """`directory` may name the data folder of `scimpolicy serve`: the tenant then
    decides on exactly what the IdP synced, read while the server holds the folder."""
    folder = tenant_folder(tmp_path)
    tenant = (folder / "tenant.toml").read_text(encoding="utf-8")
    write(
        folder / "tenant.toml",
        tenant.replace('directory = "okta"', 'directory = "scim-data"'),
    )
    with Store.open(folder / "scim-data", ["Okta"]) as served:
        ada = served.write(
            "Okta", lambda d: d.create_user(scim_user("x", "ada@acme.example", "Eng"))
        )
        world = load_workspace(folder)  # the server still holds the folder
        okta = world.tenant.idp("Okta")
        assert okta is not None
        user = okta.directory.user_by_name("ADA@acme.example")
        assert user is not None
        assert user.id == ada["id"]
        assert isinstance(okta.directory, Directory)
        assert okta.directory.get_user(ada["id"])["meta"] == ada["meta"]
        served.write(
            "Okta",
            lambda d: d.create_user(scim_user("y", "bob@acme.example", "Sales")),
        )
        # A world is a snapshot: loading again sees the new write.
        again = load_workspace(folder).tenant.idp("Okta")
        assert again is not None
        assert again.directory.user_by_name("bob@acme.example") is not None
        assert okta.directory.user_by_name("bob@acme.example") is None


def test_a_data_folder_without_the_idp_is_an_error_at_the_key(tmp_path: Path) -> None:
    folder = tenant_folder(tmp_path)
    tenant = (folder / "tenant.toml").read_text(encoding="utf-8")
    write(
        folder / "tenant.toml",
        tenant.replace('directory = "okta"', 'directory = "scim-data"'),
    )
    with Store.open(folder / "scim-data", ["Entra"]):
        pass
    with pytest.raises(DataFileError) as caught:
        load_workspace(folder)
    message = str(caught.value)
    assert "no identity provider `Okta` in this store (it has: `Entra`)" in message
    assert caught.value.lineno == line_of(tenant, 'directory = "okta"')
