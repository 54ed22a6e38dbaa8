"""Scenario files: a what-if's changes written down, one ``[[change]]`` table each.

Stage: a TOML file → a tuple of :class:`~scimpolicy.whatif.changes.Change`. The format
is documented in ``docs/whatif.md``; each table names its kind by one key
(``set_idp = "Okta"``, ``add_rule = '...'``, ``patch_user = "ada@acme.example"``, ...)
and takes the parameters that kind needs. Errors name the file, the line and the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from scimpolicy._text import did_you_mean, read_utf8
from scimpolicy.errors import DataFileError, PolicySyntaxError, Span
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.policy.parser import parse_policy
from scimpolicy.whatif import changes as c
from scimpolicy.workspace.files import TomlText, read_toml
from scimpolicy.workspace.sessions import parse_timestamp

__all__ = ["KINDS", "load_scenario", "parse_duration"]

_DURATION: Final = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h``, ``30m`` or combinations (``1d12h``); a leading ``-`` goes back.

    :raises ValueError: anything else.
    """
    sign = -1 if text.startswith("-") else 1
    found = _DURATION.fullmatch(text.removeprefix("-"))
    if not text.strip("-") or found is None or not any(found.groups()):
        raise ValueError(
            f"expected a duration such as 7d, 12h, 30m or 1d12h, got `{text}`"
        )
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return sign * timedelta(days=days, hours=hours, minutes=minutes)


class _Table:
    """One ``[[change]]`` table, read with errors pointing at its keys."""

    def __init__(self, source: TomlText, data: Mapping[str, Any], index: int) -> None:
        self.source, self.data, self.index = source, data, index
        self.used: set[str] = set()

    def error(self, key: str | None, message: str) -> DataFileError:
        return self.source.error(
            f"change {self.index + 1}: {message}", "change", self.index, key
        )

    def get(
        self, key: str, kind: type | tuple[type, ...], *, required: bool = True
    ) -> Any:
        self.used.add(key)
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(None, f"`{key}` is required for this kind of change")
            return None
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (
            isinstance(value, bool) and bool not in kinds
        ):
            raise self.error(key, f"`{key}`: expected {_kind_name(kinds)}")
        return value

    def text(self, key: str, *, required: bool = True) -> Any:
        return self.get(key, str, required=required)

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.get(key, (str, datetime), required=required)
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise self.error(key, f"`{key}`: add an offset (`Z` or `+HH:MM`)")
            return value
        try:
            return parse_timestamp(value)
        except ValueError as error:
            raise self.error(key, f"`{key}`: {error}") from None

    def policy_type(self) -> PolicyType:
        value = self.text("policy", required=False) or "access"
        try:
            return PolicyType(value)
        except ValueError:
            raise self.error(
                "policy", "`policy`: expected access, forwarding or timeout"
            ) from None

    def operations(self) -> list[dict[str, Any]]:
        value: list[Any] = self.get("operations", list)
        if not value or not all(isinstance(op, dict) and "op" in op for op in value):
            raise self.error(
                "operations",
                "`operations`: expected SCIM PATCH operations such as "
                '{op = "replace", path = "title", value = "CTO"}',
            )
        return [dict(op) for op in value]

    def position(self, *, required: bool) -> int | None:
        """``position`` (1 is first) as a 0-based index."""
        value: int | None = self.get("position", int, required=required)
        if value is not None and value < 1:
            raise self.error("position", "`position`: expected 1 or more (1 is first)")
        return None if value is None else value - 1

    def rule(self, key: str, policy_type: PolicyType) -> str:
        """The rule text under *key*, parsed now so that its errors name this file."""
        text = str(self.text(key))
        try:
            c.parse_rule(policy_type, text)
        except PolicySyntaxError as error:
            raise self.rule_error(key, error) from None
        except c.ChangeError as error:
            raise self.error(key, f"`{key}`: {error}") from None
        return text

    def rule_error(self, key: str, error: PolicySyntaxError) -> PolicySyntaxError:
        """*error* (positioned in a rule's text) positioned in the scenario file: at
        the rule's own characters when the file holds the text verbatim, else at the
        key."""
        at = self.source.span("change", self.index, key)
        start = self.source.text.find(error.source, at.start)
        message = f"change {self.index + 1}: `{key}`: {error.message}"
        if start < 0:
            span = at
            message += f" (in the rule: line {error.lineno}, column {error.colno})"
        else:
            span = Span(start + error.span.start, start + error.span.end)
        return PolicySyntaxError(
            message, self.source.text, span, origin=self.source.origin
        )

    def finish(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise self.error(extra[0], f"`{extra[0]}` does not apply to this change")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        bool: "true or false",
        int: "an integer",
        list: "an array",
        dict: "a table",
        datetime: "a date and time",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _flag(table: _Table, key: str) -> bool | None:
    value: bool | None = table.get(key, bool, required=False)
    return value


def _set_idp(table: _Table, _: Path) -> c.Change:
    return c.SetIdp(
        table.text("set_idp"),
        scim_sync=_flag(table, "scim_sync"),
        scim_attributes_for_policy=_flag(table, "scim_attributes_for_policy"),
        saml_attributes_for_policy=_flag(table, "saml_attributes_for_policy"),
        at=table.moment("at"),
    )


def _reauthenticate(table: _Table, _: Path) -> c.Change:
    who = table.get("reauthenticate", (str, list))
    if who == "everyone":
        users: list[str] = []
    elif isinstance(who, str):
        users = [who]
    elif all(isinstance(user, str) for user in who):
        users = who
    else:
        raise table.error("reauthenticate", "`reauthenticate`: expected NameIDs")
    return c.Reauthenticate(
        users, idp=table.text("idp", required=False), at=table.moment("at")
    )


def _advance(table: _Table, _: Path) -> c.Change:
    try:
        return c.AdvanceTime(parse_duration(table.text("advance")))
    except ValueError as error:
        raise table.error("advance", f"`advance`: {error}") from None


def _set_time(table: _Table, _: Path) -> c.Change:
    at = table.moment("set_time", required=True)
    assert at is not None  # noqa: S101  required above
    return c.SetTime(at)


def _add_rule(table: _Table, _: Path) -> c.Change:
    policy_type = table.policy_type()
    return c.AddRule(
        policy_type,
        table.rule("add_rule", policy_type),
        table.position(required=False),
    )


def _remove_rule(table: _Table, _: Path) -> c.Change:
    return c.RemoveRule(table.policy_type(), table.text("remove_rule"))


def _move_rule(table: _Table, _: Path) -> c.Change:
    position = table.position(required=True)
    assert position is not None  # noqa: S101  required above
    return c.MoveRule(table.policy_type(), table.text("move_rule"), position)


def _replace_rule(table: _Table, _: Path) -> c.Change:
    policy_type = table.policy_type()
    return c.ReplaceRule(
        policy_type, table.text("replace_rule"), table.rule("rule", policy_type)
    )


def _disable_rule(table: _Table, _: Path) -> c.Change:
    return c.SetRuleDisabled(table.policy_type(), table.text("disable_rule"))


def _enable_rule(table: _Table, _: Path) -> c.Change:
    return c.SetRuleDisabled(
        table.policy_type(), table.text("enable_rule"), disabled=False
    )


def _use_policy(table: _Table, base: Path) -> c.Change:
    path = base / table.text("use_policy")
    text = read_utf8(path)
    try:
        policy = parse_policy(text)
    except PolicySyntaxError as error:
        raise PolicySyntaxError(
            error.message, error.source, error.span, origin=str(path)
        ) from None
    return c.UsePolicy(policy, f"the policy in `{path}`")


def _user_change(
    make: Callable[[str, str, _Table], c.Change], key: str
) -> Callable[[_Table, Path], c.Change]:
    def build(table: _Table, _: Path) -> c.Change:
        return make(table.text("idp"), table.text(key), table)

    return build


def _payload_change(
    make: Callable[[str, dict[str, Any]], c.Change], key: str
) -> Callable[[_Table, Path], c.Change]:
    def build(table: _Table, _: Path) -> c.Change:
        return make(table.text("idp"), table.get(key, dict))

    return build


KINDS: Final[dict[str, Callable[[_Table, Path], c.Change]]] = {
    "set_idp": _set_idp,
    "reauthenticate": _reauthenticate,
    "advance": _advance,
    "set_time": _set_time,
    "add_rule": _add_rule,
    "remove_rule": _remove_rule,
    "move_rule": _move_rule,
    "replace_rule": _replace_rule,
    "disable_rule": _disable_rule,
    "enable_rule": _enable_rule,
    "use_policy": _use_policy,
    "add_user": _payload_change(c.AddUser, "add_user"),
    "add_group": _payload_change(c.AddGroup, "add_group"),
    "remove_user": _user_change(
        lambda idp, user, _: c.RemoveUser(idp, user), "remove_user"
    ),
    "remove_group": _user_change(
        lambda idp, group, _: c.RemoveGroup(idp, group), "remove_group"
    ),
    "patch_user": _user_change(
        lambda idp, user, t: c.PatchUser(idp, user, t.operations()), "patch_user"
    ),
    "patch_group": _user_change(
        lambda idp, group, t: c.PatchGroup(idp, group, t.operations()), "patch_group"
    ),
    "replace_user": _user_change(
        lambda idp, user, t: c.ReplaceUser(idp, user, t.get("payload", dict)),
        "replace_user",
    ),
    "add_to_group": _user_change(
        lambda idp, user, t: c.AddToGroup(idp, user, t.text("group")), "add_to_group"
    ),
    "remove_from_group": _user_change(
        lambda idp, user, t: c.RemoveFromGroup(idp, user, t.text("group")),
        "remove_from_group",
    ),
    "move_user": _user_change(
        lambda idp, user, t: c.MoveUser(
            idp, user, t.text("from_group"), t.text("to_group")
        ),
        "move_user",
    ),
}
"""Each kind of ``[[change]]``, by the key that names it."""

_PARAMETERS: Final = frozenset(
    {
        "idp",
        "at",
        "scim_sync",
        "scim_attributes_for_policy",
        "saml_attributes_for_policy",
        "policy",
        "position",
        "rule",
        "operations",
        "payload",
        "group",
        "from_group",
        "to_group",
    }
)
"""The keys that are parameters of some kind of change (not kinds themselves)."""


def load_scenario(path: str | Path) -> tuple[c.Change, ...]:
    """Read a scenario file: its ``[[change]]`` tables, in order.

    :raises DataFileError: TOML that cannot be read, an unknown kind, a missing or
        mistyped parameter (file, line, key).
    :raises PolicySyntaxError: a rule or policy file that cannot be parsed.
    """
    file = Path(path)
    source, data = read_toml(file)
    extra = sorted(set(data) - {"change", "description"})
    if extra:
        raise source.error(
            f"unknown key `{extra[0]}` (a scenario has [[change]] tables and an "
            "optional `description`)",
            None,
            0,
            extra[0],
        )
    tables = data.get("change", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise source.error("`change`: expected [[change]] tables", None, 0, "change")
    found: list[c.Change] = []
    for index, data_table in enumerate(tables):
        table = _Table(source, data_table, index)
        kinds = [key for key in data_table if key in KINDS]
        if not kinds:
            strange = [key for key in data_table if key not in _PARAMETERS]
            if strange:
                hint = did_you_mean(strange[0], KINDS)
                raise table.error(
                    strange[0],
                    f"`{strange[0]}` is not a kind of change{hint} (kinds: "
                    f"{', '.join(KINDS)})",
                )
        if len(kinds) != 1:
            what = "no kind" if not kinds else f"{len(kinds)} kinds"
            raise table.error(
                kinds[1] if len(kinds) > 1 else None,
                f"{what}: give exactly one of {', '.join(KINDS)}",
            )
        table.used.add(kinds[0])
        change = KINDS[kinds[0]](table, file.parent)
        table.finish()
        found.append(change)
    return tuple(found)
