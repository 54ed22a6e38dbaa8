"""What-if changes, one by one, on the small world (tests/whatif/worlds.py).

Each change gives a new world with its effect (seen through decisions and directory
reads), never touches the world it was given, and hands back the change that undoes
it. A change that does not fit the world (an unknown IdP, user, group or rule) is a
``ChangeError`` naming what is missing, and nothing changes.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Final

import pytest

from scimpolicy import (
    AccessAction,
    ForwardingAction,
    IdentityProvider,
    PolicyCheckError,
    PolicySyntaxError,
    PolicyType,
    ReasonCode,
    Severity,
    User,
    parse_policy,
)
from scimpolicy.scim.models import Group
from scimpolicy.whatif.bulk import bulk_decide
from scimpolicy.whatif.changes import (
    AddGroup,
    AddRule,
    AddToGroup,
    AddUser,
    AdvanceTime,
    Change,
    ChangeError,
    MoveRule,
    MoveUser,
    PatchGroup,
    PatchUser,
    Reauthenticate,
    RemoveFromGroup,
    RemoveGroup,
    RemoveRule,
    RemoveUser,
    ReplaceRule,
    ReplaceUser,
    RestoreGroup,
    RestoreIdp,
    RestoreUser,
    SetIdp,
    SetRuleDisabled,
    SetSessions,
    SetTime,
    UsePolicy,
    apply_changes,
    parse_rule,
)
from scimpolicy.whatif.diff import compare
from scimpolicy.workspace.world import World
from tests.whatif.worlds import (
    AFTER,
    BEFORE,
    ENABLED,
    NOW,
    Lookups,
    decide,
    directory_of,
    groups_of,
    rule_of,
    session_of,
    snapshot,
)

ACCESS: Final = PolicyType.ACCESS
FORWARDING: Final = PolicyType.FORWARDING
TIMEOUT: Final = PolicyType.TIMEOUT
LATER: Final = NOW + timedelta(days=1)


def _deactivate(user: str) -> PatchUser:
    return PatchUser(
        "Okta", user, [{"op": "replace", "path": "active", "value": False}]
    )


CHANGES: Final[list[Change]] = [
    SetIdp("Entra", scim_attributes_for_policy=True),
    SetIdp("Okta", scim_sync=False, saml_attributes_for_policy=False),
    SetIdp("Okta", scim_attributes_for_policy=True, at=NOW),
    SetIdp("Okta", scim_attributes_for_policy=False),
    RestoreIdp("Entra", True, True, NOW, False),
    Reauthenticate(),
    Reauthenticate(users=["CARL@acme.com"]),
    Reauthenticate(idp="Entra", at=NOW - timedelta(hours=1)),
    SetTime(LATER),
    AdvanceTime(timedelta(hours=13)),
    AddUser("Okta", {"userName": "zed@acme.com", "userType": "Employee"}),
    RemoveUser("Okta", "alice@acme.com"),
    RemoveUser("Okta", "dana@acme.com"),
    ReplaceUser("Okta", "fran@acme.com", {"userName": "fran@acme.com"}),
    PatchUser(
        "Okta",
        "erin@acme.com",
        [{"op": "replace", "path": "department", "value": "Engineering"}],
    ),
    _deactivate("erin@acme.com"),
    PatchUser(
        "Okta",
        "carl@acme.com",
        [{"op": "replace", "path": "userName", "value": "carl.x@acme.com"}],
    ),
    AddGroup("Okta", {"displayName": "Payroll Admins"}),
    RemoveGroup("Okta", "SRE"),
    RemoveGroup("Okta", "Engineering"),
    PatchGroup(
        "Okta", "SRE", [{"op": "replace", "path": "displayName", "value": "Ops"}]
    ),
    AddToGroup("Okta", "erin@acme.com", "SRE"),
    RemoveFromGroup("Okta", "alice@acme.com", "SRE"),
    MoveUser("Okta", "fran@acme.com", "Finance", "Engineering"),
    MoveUser("Entra", "hugo@acme.eu", "Sales", "Finance"),
    AddRule(ACCESS, 'rule "Intranet closed": deny when app == "Intranet"', 0),
    AddRule(TIMEOUT, 'rule "Short": reauth every 1h idle 10m when saml.role == "x"'),
    RemoveRule(ACCESS, "Everyone to the intranet"),
    MoveRule(ACCESS, "Block contractors from payroll", 2),
    ReplaceRule(
        FORWARDING, "SRE bypass", 'rule "SRE in": intercept when "SRE" in scim.groups'
    ),
    SetRuleDisabled(TIMEOUT, "Contractors re-auth daily"),
    UsePolicy(parse_policy("access:\n  default: allow\n"), "allow-all"),
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.describe())
def test_a_change_leaves_its_world_alone_and_its_undo_restores_it(
    world: World, change: Change
) -> None:
    before = snapshot(world)
    decisions = list(bulk_decide(world))

    after, undo = change.apply(world)
    changed = snapshot(after)
    assert changed != before  # the change did something ...
    assert snapshot(world) == before  # ... to a new world only
    assert list(bulk_decide(world)) == decisions

    back, redo = undo.apply(after)
    assert snapshot(back) == before
    assert snapshot(after) == changed  # undoing forks too
    assert compare(decisions, bulk_decide(back)).changed == 0

    again, _ = redo.apply(back)  # the undo's undo is the change again
    assert snapshot(again) == changed


def test_apply_changes_returns_the_undo_in_the_order_that_rolls_back(
    world: World,
) -> None:
    changes = [
        AddGroup("Okta", {"displayName": "Payroll Admins"}),
        AddToGroup("Okta", "alice@acme.com", "Payroll Admins"),
        Reauthenticate(users=["carl@acme.com"]),
    ]
    after, undo = apply_changes(world, changes)
    assert "Payroll Admins" in groups_of(after, "Okta", "alice@acme.com")
    assert [type(change) for change in undo] == [
        SetSessions,
        RemoveFromGroup,
        RemoveGroup,
    ]
    back, _ = apply_changes(after, undo)
    assert snapshot(back) == snapshot(world)
    assert apply_changes(world, []) == (world, ())


# -- identity provider settings -----------------------------------------------------


def test_enabling_scim_attributes_records_now_and_old_sessions_see_no_change(
    world: World,
) -> None:
    after, undo = SetIdp("Entra", scim_attributes_for_policy=True).apply(world)
    entra = after.idp("Entra")
    assert entra.scim_attributes_for_policy
    assert entra.scim_attributes_enabled_at == NOW
    assert not world.idp("Entra").scim_attributes_for_policy
    # Ines, a finance contractor, signed in before: her SCIM criteria stay unknown.
    assert rule_of(after, "ines@acme.eu", "Payroll") == "rule `Finance to Payroll`"
    assert not entra.gates(session_of(after, "ines@acme.eu").authenticated_at).scim
    assert undo == RestoreIdp("Entra", True, False, None, True)


def test_enabling_scim_attributes_at_a_time_records_that_time(world: World) -> None:
    at = NOW - timedelta(days=5)  # before Ines's and Hugo's sign-in
    after, _ = SetIdp("Entra", scim_attributes_for_policy=True, at=at).apply(world)
    assert after.idp("Entra").scim_attributes_enabled_at == at
    denied = decide(after, "ines@acme.eu", "Payroll")
    assert denied.rule == "Block contractors from payroll"
    assert denied.reason_code is ReasonCode.REJECTED_BY_POLICY


def test_re_enabling_at_a_time_moves_the_moment_and_without_one_keeps_it(
    world: World,
) -> None:
    kept, _ = SetIdp("Okta", scim_attributes_for_policy=True).apply(world)
    assert kept.idp("Okta").scim_attributes_enabled_at == ENABLED
    moved, _ = SetIdp("Okta", scim_attributes_for_policy=True, at=NOW).apply(world)
    assert moved.idp("Okta").scim_attributes_enabled_at == NOW
    # Fran signed in before the new moment: the contractor block cannot fire.
    assert rule_of(world, "fran@acme.com", "Payroll") == (
        "rule `Block contractors from payroll`"
    )
    assert rule_of(moved, "fran@acme.com", "Payroll") == "rule `Finance to Payroll`"


def test_turning_scim_attributes_off_keeps_when_it_was_enabled(world: World) -> None:
    after, undo = SetIdp("Okta", scim_attributes_for_policy=False).apply(world)
    okta = after.idp("Okta")
    assert not okta.scim_attributes_for_policy
    assert okta.scim_attributes_enabled_at == ENABLED
    assert rule_of(after, "fran@acme.com", "Payroll") == "rule `Finance to Payroll`"
    back, _ = undo.apply(after)
    assert back.idp("Okta") == world.idp("Okta")


def test_scim_sync_off_lifts_the_presence_gate(world: World) -> None:
    assert decide(world, "zed@acme.com", "Intranet").reason_code is (
        ReasonCode.SCIM_INACTIVE
    )
    after, _ = SetIdp("Okta", scim_sync=False).apply(world)
    assert decide(after, "zed@acme.com", "Intranet").allowed
    # With SCIM Sync off no SCIM criterion counts: Alice reaches Git on SAML alone.
    assert rule_of(after, "alice@acme.com", "Git") == "rule `Engineering to Git`"
    assert (
        decide(after, "alice@acme.com", policy_type=FORWARDING).outcome
        is ForwardingAction.INTERCEPT
    )


def test_saml_attributes_off_makes_saml_criteria_unknown(world: World) -> None:
    after, _ = SetIdp("Entra", saml_attributes_for_policy=False).apply(world)
    assert rule_of(world, "ines@acme.eu", "Payroll") == "rule `Finance to Payroll`"
    assert rule_of(after, "ines@acme.eu", "Payroll") == "the default"


def test_restore_idp_sets_every_setting(world: World) -> None:
    change = RestoreIdp("Entra", True, True, ENABLED, False)
    after, undo = change.apply(world)
    entra = after.idp("Entra")
    assert (
        entra.scim_sync,
        entra.scim_attributes_for_policy,
        entra.scim_attributes_enabled_at,
        entra.saml_attributes_for_policy,
    ) == (True, True, ENABLED, False)
    assert entra.directory is world.idp("Entra").directory  # settings only
    assert undo == RestoreIdp.of(world.idp("Entra"))


# -- sessions and time -----------------------------------------------------------------


def test_reauthenticating_makes_scim_criteria_count(world: World) -> None:
    after, undo = Reauthenticate(users=["carl@acme.com"]).apply(world)
    assert session_of(after, "carl@acme.com").authenticated_at == NOW
    assert session_of(world, "carl@acme.com").authenticated_at == BEFORE
    assert rule_of(world, "carl@acme.com", "Payroll") == "rule `Finance to Payroll`"
    lost = decide(after, "carl@acme.com", "Payroll")
    assert lost.outcome is AccessAction.DENY
    assert lost.rule == "Block contractors from payroll"
    forwarding = decide(after, "carl@acme.com", policy_type=FORWARDING)
    assert forwarding.outcome is ForwardingAction.INTERCEPT_ACCESSIBLE
    assert forwarding.allowed_apps == ("Intranet",)
    timeout = decide(after, "carl@acme.com", "Git", TIMEOUT)
    assert timeout.rule == "Contractors re-auth daily"
    assert timeout.expires_at == NOW + timedelta(days=1)
    assert undo == SetSessions(world.sessions)


def test_reauthenticate_only_moves_sessions_from_before_the_moment(
    world: World,
) -> None:
    at = NOW - timedelta(hours=3)  # between BEFORE and AFTER
    after, _ = Reauthenticate(at=at).apply(world)
    for old, new in zip(world.sessions, after.sessions, strict=True):
        if old.authenticated_at < at:
            assert new.authenticated_at == at, old.user
        else:
            assert new == old, old.user
    assert at < AFTER  # so these sessions stayed as they were
    moved = {s.user for s in after.sessions if s.authenticated_at == at}
    assert moved == {"carl@acme.com", "hugo@acme.eu", "ines@acme.eu"}


def test_reauthenticate_one_idp(world: World) -> None:
    after, _ = Reauthenticate(idp="Entra").apply(world)
    moved = {
        new.user
        for old, new in zip(world.sessions, after.sessions, strict=True)
        if old != new
    }
    assert moved == {"hugo@acme.eu", "ines@acme.eu"}
    # SCIM Attributes for Policy is off for Entra: re-authenticating changes nothing.
    assert compare(bulk_decide(world), bulk_decide(after)).changed == 0


def test_set_sessions_must_keep_the_population(world: World) -> None:
    with pytest.raises(ChangeError, match="7 sessions cannot replace 8"):
        SetSessions(world.sessions[:-1]).apply(world)


def test_advancing_time_expires_sessions_and_undo_goes_back(world: World) -> None:
    valid = decide(world, "alice@acme.com", "Git", TIMEOUT)
    assert valid.rule == "Administrators: 12 hours"
    assert valid.expires_at == AFTER + timedelta(hours=12)
    assert not valid.expired

    after, undo = AdvanceTime(timedelta(hours=10)).apply(world)
    assert after.now == NOW + timedelta(hours=10)
    expired = decide(after, "alice@acme.com", "Git", TIMEOUT)
    assert expired.expired
    assert expired.reason_code is ReasonCode.SAML_EXPIRED
    # Access itself does not look at the session's age.
    assert decide(after, "alice@acme.com", "Git").allowed

    assert undo == AdvanceTime(timedelta(hours=-10))
    back, _ = undo.apply(after)
    assert back.now == NOW
    assert not decide(back, "alice@acme.com", "Git", TIMEOUT).expired


def test_set_time(world: World) -> None:
    after, undo = SetTime(LATER).apply(world)
    assert after.now == LATER
    assert world.now == NOW
    assert undo == SetTime(NOW)
    # A week after Carl's sign-in his 7-day default is up.
    week, _ = SetTime(BEFORE + timedelta(days=7)).apply(world)
    assert decide(week, "carl@acme.com", "Git", TIMEOUT).expired


# -- SCIM users -------------------------------------------------------------------------


def test_add_user_lets_a_missing_user_in(world: World) -> None:
    change = AddUser("Okta", {"userName": "zed@acme.com", "userType": "Employee"})
    after, undo = change.apply(world)
    assert directory_of(after, "Okta").user_by_name("ZED@acme.com") is not None
    assert directory_of(world, "Okta").user_by_name("zed@acme.com") is None
    assert decide(after, "zed@acme.com", "Intranet").allowed
    assert decide(world, "zed@acme.com", "Intranet").blocked
    assert undo == RemoveUser("Okta", "zed@acme.com")


def test_remove_user_blocks_and_restore_brings_back_memberships(
    world: World,
) -> None:
    original = directory_of(world, "Okta").user_by_name("alice@acme.com")
    assert original is not None
    after, undo = RemoveUser("Okta", "alice@acme.com").apply(world)
    assert directory_of(after, "Okta").user_by_name("alice@acme.com") is None
    blocked = decide(after, "alice@acme.com", "Git")
    assert blocked.reason_code is ReasonCode.SCIM_INACTIVE
    sre = _group(after, "Okta", "SRE")
    assert sre.members == ()  # no dangling member

    assert isinstance(undo, RestoreUser)
    assert undo.groups == ("SRE",)  # direct memberships; the rest follow by nesting
    assert "groups" not in undo.payload  # read-only: not written back
    back, redo = undo.apply(after)
    restored = directory_of(back, "Okta").user_by_name("alice@acme.com")
    assert restored is not None
    assert restored.id == original.id
    assert groups_of(back, "Okta", "alice@acme.com") == {
        "SRE",
        "Engineering",
        "All Staff",
    }
    assert rule_of(back, "alice@acme.com", "Git") == "rule `Engineering to Git`"
    assert redo == RemoveUser("Okta", "alice@acme.com")


def test_undo_of_a_user_in_groups_raises_no_warning(world: World) -> None:
    """Regression: the undo of RemoveUser, PatchUser and ReplaceUser wrote back the
    user's read-only ``groups``, and the directory warned that it ignored them."""
    for change in (
        RemoveUser("Okta", "alice@acme.com"),
        _deactivate("alice@acme.com"),
        ReplaceUser("Okta", "alice@acme.com", {"userName": "alice@acme.com"}),
    ):
        after, undo = change.apply(world)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            undo.apply(after)


def test_patch_user_changes_the_department(world: World) -> None:
    change = PatchUser(
        "Okta",
        "erin@acme.com",
        [{"op": "replace", "path": "department", "value": "Engineering"}],
    )
    after, undo = change.apply(world)
    erin = directory_of(after, "Okta").user_by_name("erin@acme.com")
    assert erin is not None
    assert erin.enterprise is not None
    assert erin.enterprise.department == "Engineering"
    old = directory_of(world, "Okta").user_by_name("erin@acme.com")
    assert old is not None
    assert old.enterprise is not None
    assert old.enterprise.department == "Finance"
    assert rule_of(world, "erin@acme.com", "Git") == "the default"
    assert rule_of(after, "erin@acme.com", "Git") == "rule `Engineering to Git`"
    assert isinstance(undo, ReplaceUser)
    back, _ = undo.apply(after)
    assert rule_of(back, "erin@acme.com", "Git") == "the default"


def test_deactivating_a_user_blocks_them_under_scim_sync(world: World) -> None:
    after, _ = _deactivate("erin@acme.com").apply(world)
    erin = directory_of(after, "Okta").user_by_name("erin@acme.com")
    assert erin is not None
    assert not erin.is_active
    for app in ("Git", "Payroll", "Intranet"):
        decision = decide(after, "erin@acme.com", app)
        assert decision.blocked
        assert decision.reason_code is ReasonCode.SCIM_INACTIVE
    assert decide(world, "erin@acme.com", "Payroll").allowed


def test_renaming_a_user_is_undone_by_the_new_name(world: World) -> None:
    change = PatchUser(
        "Okta",
        "carl@acme.com",
        [{"op": "replace", "path": "userName", "value": "carl.x@acme.com"}],
    )
    after, undo = change.apply(world)
    assert directory_of(after, "Okta").user_by_name("carl@acme.com") is None
    assert decide(after, "carl@acme.com", "Intranet").blocked  # NameID mismatch
    assert isinstance(undo, ReplaceUser)
    assert undo.user == "carl.x@acme.com"
    back, _ = undo.apply(after)
    assert directory_of(back, "Okta").user_by_name("carl@acme.com") is not None


def test_replace_user(world: World) -> None:
    change = ReplaceUser(
        "Okta", "fran@acme.com", {"userName": "fran@acme.com", "userType": "Employee"}
    )
    after, undo = change.apply(world)
    fran = directory_of(after, "Okta").user_by_name("fran@acme.com")
    assert fran is not None
    assert fran.user_type == "Employee"
    assert fran.enterprise is None  # a PUT replaces every attribute
    assert rule_of(after, "fran@acme.com", "Payroll") == "rule `Finance to Payroll`"
    back, _ = undo.apply(after)
    assert rule_of(back, "fran@acme.com", "Payroll") == (
        "rule `Block contractors from payroll`"
    )


# -- SCIM groups ------------------------------------------------------------------------


def _group(world: World, idp: str, name: str) -> Group:
    return next(g for g in directory_of(world, idp).groups() if g.display_name == name)


def _user(world: World, idp: str, name: str) -> User:
    found = directory_of(world, idp).user_by_name(name)
    assert found is not None
    return found


def test_add_group_with_members(world: World) -> None:
    alice = _user(world, "Okta", "alice@acme.com")
    change = AddGroup(
        "Okta", {"displayName": "Payroll Admins", "members": [{"value": alice.id}]}
    )
    after, undo = change.apply(world)
    assert rule_of(world, "alice@acme.com", "Payroll") == "the default"
    assert rule_of(after, "alice@acme.com", "Payroll") == "rule `Finance to Payroll`"
    added = _group(after, "Okta", "Payroll Admins")
    assert undo == RemoveGroup("Okta", "Payroll Admins", id=added.id)


def test_undo_of_adding_a_group_removes_that_group_not_its_namesake(
    world: World,
) -> None:
    """Regression: the undo named the group only, and removed the first group of
    that name, the one that was there before."""
    sre = _group(world, "Okta", "SRE")
    after, undo = AddGroup("Okta", {"displayName": "SRE"}).apply(world)
    assert [g.display_name for g in directory_of(after, "Okta").groups()].count(
        "SRE"
    ) == 2
    back, redo = undo.apply(after)
    assert snapshot(back) == snapshot(world)
    assert _group(back, "Okta", "SRE").id == sre.id
    again, _ = redo.apply(back)
    assert snapshot(again) == snapshot(after)


def test_undo_of_renaming_a_group_to_another_groups_name(world: World) -> None:
    """Regression: the undo of a rename found the group by its new name, the first
    group of that name, and so restored the other group."""
    change = PatchGroup(
        "Okta",
        "Finance",
        [{"op": "replace", "path": "displayName", "value": "SRE"}],
    )
    after, undo = change.apply(world)
    assert "SRE" in groups_of(after, "Okta", "erin@acme.com")
    back, _ = undo.apply(after)
    assert snapshot(back) == snapshot(world)
    # And the rename that nests a group in itself by name (All Staff holds SRE).
    change = PatchGroup(
        "Okta",
        "All Staff",
        [{"op": "replace", "path": "displayName", "value": "SRE"}],
    )
    after, undo = change.apply(world)
    back, _ = undo.apply(after)
    assert snapshot(back) == snapshot(world)


def test_undo_restores_memberships_in_the_right_group_of_a_repeated_name(
    world: World,
) -> None:
    """Regression: RestoreUser and RestoreGroup put memberships back by group name,
    into the first group of that name, when an earlier change had made two groups
    share it."""
    rename = PatchGroup(
        "Okta", "SRE", [{"op": "replace", "path": "displayName", "value": "Finance"}]
    )
    for remove in (RemoveUser("Okta", "erin@acme.com"), RemoveGroup("Okta", "Finance")):
        after, undo = apply_changes(world, [rename, remove])
        assert isinstance(undo[0], RestoreUser | RestoreGroup)
        back, _ = apply_changes(after, undo)
        assert snapshot(back) == snapshot(world), remove
        assert groups_of(back, "Okta", "erin@acme.com") == {"Finance", "All Staff"}


def test_membership_changes_with_a_repeated_group_name(world: World) -> None:
    """Regression: AddToGroup and RemoveFromGroup checked membership in any group of
    the name but wrote to the first: removing Erin from "Finance" when the first
    "Finance" was another group failed with a SCIM NoTargetError, and the undo of
    a removal could not be applied ("already in group")."""
    rename = PatchGroup(
        "Okta", "SRE", [{"op": "replace", "path": "displayName", "value": "Finance"}]
    )
    twice, _ = rename.apply(world)  # Alice's ex-SRE, then Erin's Finance
    first, second = (
        g for g in directory_of(twice, "Okta").groups() if g.display_name == "Finance"
    )
    assert first.id == _group(world, "Okta", "SRE").id

    removed, undo = RemoveFromGroup("Okta", "erin@acme.com", "Finance").apply(twice)
    assert undo == AddToGroup("Okta", "erin@acme.com", "Finance", id=second.id)
    assert groups_of(removed, "Okta", "erin@acme.com") == set()
    back, _ = undo.apply(removed)
    assert snapshot(back) == snapshot(twice)

    # Without an id, a group is added to the first of its name.
    added, undo = AddToGroup("Okta", "erin@acme.com", "Finance").apply(twice)
    assert undo == RemoveFromGroup("Okta", "erin@acme.com", "Finance", id=first.id)
    back, _ = undo.apply(added)
    assert snapshot(back) == snapshot(twice)

    moved, undo = MoveUser("Okta", "erin@acme.com", "Finance", "Finance").apply(twice)
    assert snapshot(moved) != snapshot(twice)  # from the second to the first
    back, _ = undo.apply(moved)
    assert snapshot(back) == snapshot(twice)

    with pytest.raises(ChangeError, match="is not in group `Finance`"):
        RemoveFromGroup("Okta", "erin@acme.com", "Finance", id=first.id).apply(twice)


def test_restore_needs_an_id_for_every_group(world: World) -> None:
    _, undo = RemoveUser("Okta", "erin@acme.com").apply(world)
    assert isinstance(undo, RestoreUser)
    assert len(undo.group_ids) == 1
    gone, _ = RemoveUser("Okta", "erin@acme.com").apply(world)
    broken = RestoreUser("Okta", undo.payload, undo.groups, group_ids=["a", "b"])
    with pytest.raises(ChangeError, match="2 group ids for 1 groups"):
        broken.apply(gone)
    by_name = RestoreUser("Okta", undo.payload, undo.groups)  # no ids: by name
    back, _ = by_name.apply(gone)
    assert snapshot(back) == snapshot(world)


def test_undo_of_a_group_that_is_gone(world: World) -> None:
    change = PatchGroup(
        "Okta", "SRE", [{"op": "replace", "path": "displayName", "value": "Ops"}]
    )
    after, undo = change.apply(world)
    gone, _ = RemoveGroup("Okta", "Ops").apply(after)
    with pytest.raises(ChangeError, match="no group `Ops` in IdP `Okta`"):
        undo.apply(gone)


def test_add_group_with_an_id_keeps_it(world: World) -> None:
    change = AddGroup("Okta", {"id": "g-42", "displayName": "Payroll Admins"})
    after, undo = change.apply(world)
    assert _group(after, "Okta", "Payroll Admins").id == "g-42"
    assert undo == RemoveGroup("Okta", "Payroll Admins", id="g-42")
    back, redo = undo.apply(after)
    assert snapshot(back) == snapshot(world)
    again, _ = redo.apply(back)
    assert _group(again, "Okta", "Payroll Admins").id == "g-42"


def test_remove_group_and_restore_its_place_in_the_nesting(world: World) -> None:
    sre = _group(world, "Okta", "SRE")
    after, undo = RemoveGroup("Okta", "SRE").apply(world)
    assert groups_of(after, "Okta", "alice@acme.com") == set()
    assert "SRE" not in {
        m.display for m in _group(after, "Okta", "Engineering").members
    }
    assert (
        decide(after, "alice@acme.com", policy_type=FORWARDING).outcome
        is ForwardingAction.INTERCEPT
    )
    # Git still on the SCIM department (and the SAML one).
    assert rule_of(after, "alice@acme.com", "Git") == "rule `Engineering to Git`"

    assert isinstance(undo, RestoreGroup)
    assert undo.parents == ("Engineering",)
    back, _ = undo.apply(after)
    assert _group(back, "Okta", "SRE").id == sre.id
    assert sre.id in {m.value for m in _group(back, "Okta", "Engineering").members}
    assert groups_of(back, "Okta", "alice@acme.com") == {
        "SRE",
        "Engineering",
        "All Staff",
    }
    assert (
        decide(back, "alice@acme.com", policy_type=FORWARDING).outcome
        is ForwardingAction.BYPASS
    )


def test_patch_group_renames_it(world: World) -> None:
    change = PatchGroup(
        "Okta", "SRE", [{"op": "replace", "path": "displayName", "value": "Ops"}]
    )
    after, undo = change.apply(world)
    assert "Ops" in groups_of(after, "Okta", "alice@acme.com")
    assert "SRE" in groups_of(world, "Okta", "alice@acme.com")
    assert (
        decide(after, "alice@acme.com", policy_type=FORWARDING).outcome
        is ForwardingAction.INTERCEPT
    )
    back, _ = undo.apply(after)
    assert "SRE" in groups_of(back, "Okta", "alice@acme.com")


def test_patch_group_members(world: World) -> None:
    erin = _user(world, "Okta", "erin@acme.com")
    change = PatchGroup(
        "Okta",
        "finance",  # group names ignore case
        [{"op": "remove", "path": f'members[value eq "{erin.id}"]'}],
    )
    after, _ = change.apply(world)
    assert groups_of(after, "Okta", "erin@acme.com") == set()
    # Erin still reaches Payroll on her SAML role.
    assert rule_of(after, "erin@acme.com", "Payroll") == "rule `Finance to Payroll`"


def test_add_to_and_remove_from_group(world: World) -> None:
    added, undo = AddToGroup("Okta", "erin@acme.com", "SRE").apply(world)
    assert groups_of(added, "Okta", "erin@acme.com") >= {"SRE", "Engineering"}
    assert (
        decide(added, "erin@acme.com", policy_type=FORWARDING).outcome
        is ForwardingAction.BYPASS
    )
    assert rule_of(added, "erin@acme.com", "Git") == "rule `Engineering to Git`"
    sre = _group(world, "Okta", "SRE").id
    assert undo == RemoveFromGroup("Okta", "erin@acme.com", "SRE", id=sre)

    removed, undo = RemoveFromGroup("Okta", "alice@acme.com", "SRE").apply(world)
    assert groups_of(removed, "Okta", "alice@acme.com") == set()
    assert undo == AddToGroup("Okta", "alice@acme.com", "SRE", id=sre)


def test_move_user_between_groups(world: World) -> None:
    change = MoveUser("Okta", "fran@acme.com", "Finance", "Engineering")
    after, undo = change.apply(world)
    assert groups_of(after, "Okta", "fran@acme.com") == {"Engineering", "All Staff"}
    assert rule_of(world, "fran@acme.com", "Git") == "the default"
    assert rule_of(after, "fran@acme.com", "Git") == "rule `Engineering to Git`"
    assert undo == MoveUser(
        "Okta",
        "fran@acme.com",
        "Engineering",
        "Finance",
        from_id=_group(world, "Okta", "Engineering").id,
        to_id=_group(world, "Okta", "Finance").id,
    )


def test_membership_changes_that_do_not_fit(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(
        ChangeError, match=r"`alice@acme.com` is already in group `sre`"
    ):
        AddToGroup("Okta", "alice@acme.com", "sre").apply(world)
    with pytest.raises(ChangeError, match=r"`erin@acme.com` is not in group `SRE`"):
        RemoveFromGroup("Okta", "erin@acme.com", "SRE").apply(world)
    # Alice is in Engineering only through SRE: not a direct member.
    with pytest.raises(ChangeError, match="is not in group `Engineering`"):
        MoveUser("Okta", "alice@acme.com", "Engineering", "Finance").apply(world)
    assert snapshot(world) == before
    # Erin in Finance and SRE: her removal from Finance succeeds on a fork, the
    # addition to SRE fails, and the move as a whole changes nothing.
    both, _ = AddToGroup("Okta", "erin@acme.com", "SRE").apply(world)
    in_both = snapshot(both)
    with pytest.raises(ChangeError, match="already in group `SRE`"):
        MoveUser("Okta", "erin@acme.com", "Finance", "SRE").apply(both)
    assert snapshot(both) == in_both


# -- rules -----------------------------------------------------------------------------


def test_add_rule_first(world: World) -> None:
    change = AddRule(ACCESS, 'rule "Intranet closed": deny when app == "Intranet"', 0)
    after, undo = change.apply(world)
    assert after.policy.access.rules[0].name == "Intranet closed"
    for session in world.sessions:
        if not decide(world, session.user, "Intranet").blocked:
            assert rule_of(after, session.user, "Intranet") == "rule `Intranet closed`"
    assert undo == RemoveRule(ACCESS, "Intranet closed")
    back, _ = undo.apply(after)
    assert back.policy == world.policy


def test_add_rule_last_by_default_and_from_a_parsed_rule(world: World) -> None:
    rule = parse_rule(TIMEOUT, 'rule "Short": reauth every 1h idle 10m')
    after, _ = AddRule(TIMEOUT, rule).apply(world)
    assert after.policy.timeout.rules[-1] == rule
    # Hugo matches no earlier timeout rule: the new last rule beats the default.
    assert decide(after, "hugo@acme.eu", "Git", TIMEOUT).rule == "Short"


def test_add_rule_syntax_error_points_into_the_rule_text(world: World) -> None:
    text = 'rule "Broken": allow\n  when app == "Git" andd saml.role == "x"'
    with pytest.raises(PolicySyntaxError) as caught:
        AddRule(ACCESS, text).apply(world)
    error = caught.value
    assert error.source == text
    assert (error.lineno, error.colno) == (2, 21)
    assert text[error.span.start : error.span.end] == "andd"
    assert "line 2, column 21" in str(error)


def test_add_rule_naming_an_unknown_application(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(PolicyCheckError) as caught:
        AddRule(ACCESS, 'rule "Wiki": allow when app == "Wiki"').apply(world)
    errors = [d.code for d in caught.value.diagnostics if d.severity is Severity.ERROR]
    assert errors == ["unknown-application"]
    assert "unknown application `Wiki`" in str(caught.value)
    assert snapshot(world) == before


def test_add_rule_that_breaks_the_policy(world: World) -> None:
    with pytest.raises(PolicyCheckError, match="defined twice"):
        AddRule(ACCESS, 'rule "Finance to Payroll": deny').apply(world)


def test_parse_rule_wants_exactly_one_rule() -> None:
    with pytest.raises(ChangeError, match="expected exactly one rule"):
        parse_rule(ACCESS, 'rule "a": allow\nrule "b": deny')
    with pytest.raises(ChangeError, match="expected exactly one rule"):
        parse_rule(ACCESS, "default: allow")
    rule = parse_rule(FORWARDING, '\n    rule "x": bypass\n      when app == "Git"\n')
    assert rule.name == "x"
    assert rule.action is ForwardingAction.BYPASS


def test_remove_rule(world: World) -> None:
    after, undo = RemoveRule(ACCESS, "everyone to the INTRANET").apply(world)
    assert rule_of(after, "alice@acme.com", "Intranet") == "the default"
    assert not decide(after, "alice@acme.com", "Intranet").allowed
    assert isinstance(undo, AddRule)
    assert undo.position == 3
    back, _ = undo.apply(after)
    assert back.policy == world.policy


def test_move_rule_after_a_broader_allow(world: World) -> None:
    change = MoveRule(ACCESS, "Block contractors from payroll", 2)
    after, undo = change.apply(world)
    assert [r.name for r in after.policy.access.rules] == [
        "Engineering to Git",
        "Finance to Payroll",
        "Block contractors from payroll",
        "Everyone to the intranet",
    ]
    assert rule_of(after, "fran@acme.com", "Payroll") == "rule `Finance to Payroll`"
    assert undo == MoveRule(ACCESS, "Block contractors from payroll", 0)


def test_replace_rule_in_place(world: World) -> None:
    change = ReplaceRule(
        ACCESS,
        "Everyone to the intranet",
        'rule "Intranet for finance": allow\n  when app == "Intranet" and saml.role == "finance"',
    )
    after, undo = change.apply(world)
    assert [r.name for r in after.policy.access.rules][3] == "Intranet for finance"
    assert rule_of(after, "erin@acme.com", "Intranet") == "rule `Intranet for finance`"
    assert rule_of(after, "alice@acme.com", "Intranet") == "the default"
    assert isinstance(undo, ReplaceRule)
    assert undo.name == "Intranet for finance"
    back, _ = undo.apply(after)
    assert back.policy == world.policy


def test_disable_and_enable_a_rule(world: World) -> None:
    after, undo = SetRuleDisabled(ACCESS, "Block contractors from payroll").apply(world)
    assert after.policy.access.rules[0].disabled
    assert rule_of(after, "fran@acme.com", "Payroll") == "rule `Finance to Payroll`"
    assert undo == SetRuleDisabled(ACCESS, "Block contractors from payroll", False)
    back, _ = undo.apply(after)
    assert not back.policy.access.rules[0].disabled
    assert rule_of(back, "fran@acme.com", "Payroll") == (
        "rule `Block contractors from payroll`"
    )


def test_use_policy(world: World) -> None:
    allow_all = parse_policy("access:\n  default: allow\n")
    after, undo = UsePolicy(allow_all, "allow-all").apply(world)
    assert after.policy == allow_all
    assert decide(after, "hugo@acme.eu", "Payroll").allowed
    assert decide(after, "zed@acme.com", "Payroll").blocked  # the gate still applies
    assert undo == UsePolicy(world.policy, "the policy")
    bad = parse_policy('access:\n  rule "x": allow when app == "Wiki"\n')
    with pytest.raises(PolicyCheckError, match="unknown application `Wiki`"):
        UsePolicy(bad).apply(world)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (MoveRule(ACCESS, "Finance to Payroll", 4), "position #5 is outside the 4"),
        (MoveRule(ACCESS, "Finance to Payroll", -1), "position #0 is outside"),
        (AddRule(ACCESS, 'rule "x": allow', 5), "position #6 is outside the 4 access"),
    ],
)
def test_rule_positions_out_of_range(
    world: World, change: Change, message: str
) -> None:
    with pytest.raises(ChangeError, match=message):
        change.apply(world)


# -- what is not there ---------------------------------------------------------------------


UNKNOWN: Final[list[tuple[Change, str]]] = [
    (SetIdp("Ping", scim_sync=True), "no IdP named `Ping` in the tenant"),
    (RestoreIdp("Ping", True, True, None, True), "no IdP named `Ping`"),
    (Reauthenticate(idp="Ping"), "no IdP named `Ping`"),
    (Reauthenticate(users=["nobody@acme.com"]), "no session of `nobody@acme.com`"),
    (
        Reauthenticate(users=["alice@acme.com"], idp="Entra"),
        "no session of `alice@acme.com`",
    ),
    (AddUser("Ping", {"userName": "x@acme.com"}), "no IdP named `Ping`"),
    (RemoveUser("Okta", "nobody@acme.com"), "no user `nobody@acme.com` in IdP `Okta`"),
    (RemoveUser("Entra", "alice@acme.com"), "no user `alice@acme.com` in IdP `Entra`"),
    (PatchUser("Okta", "nobody@acme.com", []), "no user `nobody@acme.com`"),
    (ReplaceUser("Okta", "nobody@acme.com", {}), "no user `nobody@acme.com`"),
    (RemoveGroup("Okta", "Sales"), "no group `Sales` in IdP `Okta`'s directory"),
    (PatchGroup("Entra", "SRE", []), "no group `SRE` in IdP `Entra`"),
    (AddToGroup("Okta", "erin@acme.com", "Nope"), "no group `Nope`"),
    (AddToGroup("Okta", "nobody@acme.com", "SRE"), "no user `nobody@acme.com`"),
    (RemoveFromGroup("Okta", "alice@acme.com", "Nope"), "no group `Nope`"),
    (MoveUser("Okta", "fran@acme.com", "Finance", "Nope"), "no group `Nope`"),
    (
        RemoveRule(ACCESS, "Nope"),
        "no access rule `Nope` (rules: `Block contractors from payroll`, ",
    ),
    (MoveRule(FORWARDING, "Nope", 0), "no forwarding rule `Nope`"),
    (
        ReplaceRule(TIMEOUT, "Nope", 'rule "x": reauth every 1d idle never'),
        "no timeout rule",
    ),
    (SetRuleDisabled(ACCESS, "Nope"), "no access rule `Nope`"),
]


@pytest.mark.parametrize(("change", "message"), UNKNOWN, ids=lambda x: str(x)[:40])
def test_a_name_that_is_not_there_is_a_change_error(
    world: World, change: Change, message: str
) -> None:
    before = snapshot(world)
    with pytest.raises(ChangeError) as caught:
        change.apply(world)
    assert message in str(caught.value)
    assert snapshot(world) == before


def test_unknown_idp_error_lists_the_idps(world: World) -> None:
    with pytest.raises(ChangeError, match=r"\(IdPs: `Okta`, `Entra`\)"):
        SetIdp("Ping").apply(world)


def test_scim_changes_need_a_scimpolicy_directory(world: World) -> None:
    other = world.with_idp(IdentityProvider("Entra", Lookups()))
    with pytest.raises(ChangeError, match="not a scimpolicy Directory"):
        RemoveUser("Entra", "ines@acme.eu").apply(other)


# -- describe ----------------------------------------------------------------------------


DESCRIPTIONS: Final[list[tuple[Change, str]]] = [
    (
        SetIdp("Okta", scim_attributes_for_policy=True),
        "IdP `Okta`: SCIM Attributes for Policy on",
    ),
    (
        SetIdp("Okta", scim_sync=False, saml_attributes_for_policy=True, at=NOW),
        "IdP `Okta`: SCIM Sync off, SAML Attributes for Policy on at 2026-11-23T09:00:00Z",
    ),
    (SetIdp("Okta"), "IdP `Okta`: no setting changed"),
    (
        RestoreIdp("Okta", True, True, ENABLED, True),
        (
            "restore IdP `Okta`: SCIM Sync on, SCIM Attributes for Policy on (enabled "
            "2026-11-20T09:00:00Z), SAML Attributes for Policy on"
        ),
    ),
    (
        RestoreIdp("Entra", False, False, None, False),
        (
            "restore IdP `Entra`: SCIM Sync off, SCIM Attributes for Policy off, SAML "
            "Attributes for Policy off"
        ),
    ),
    (Reauthenticate(), "everyone re-authenticates now"),
    (
        Reauthenticate(users=["a@x", "b@x"], idp="Okta", at=NOW),
        "`a@x`, `b@x` of IdP `Okta` re-authenticates at 2026-11-23T09:00:00Z",
    ),
    (SetSessions(()), "restore the 0 sessions"),
    (SetTime(NOW), "evaluate at 2026-11-23T09:00:00Z"),
    (AdvanceTime(timedelta(days=1, hours=2)), "time moves on by 1 day, 2:00:00"),
    (AddUser("Okta", {"userName": "z@x"}), "IdP `Okta` provisions user `z@x`"),
    (RemoveUser("Okta", "z@x"), "IdP `Okta` deprovisions user `z@x`"),
    (RestoreUser("Okta", {"userName": "z@x"}), "IdP `Okta` restores user `z@x`"),
    (ReplaceUser("Okta", "z@x", {}), "IdP `Okta` replaces user `z@x`"),
    (
        PatchUser(
            "Okta",
            "z@x",
            [
                {"op": "replace", "path": "active", "value": False},
                {"op": "add", "value": {"title": "Boss"}},
                {"op": "remove", "path": "title"},
            ],
        ),
        "IdP `Okta` patches user `z@x`: replace active = False; add; remove title",
    ),
    (AddGroup("Okta", {"displayName": "G"}), "IdP `Okta` provisions group `G`"),
    (RemoveGroup("Okta", "G"), "IdP `Okta` deprovisions group `G`"),
    (RestoreGroup("Okta", {"displayName": "G"}), "IdP `Okta` restores group `G`"),
    (PatchGroup("Okta", "G", []), "IdP `Okta` patches group `G`"),
    (AddToGroup("Okta", "z@x", "G"), "IdP `Okta` adds `z@x` to group `G`"),
    (RemoveFromGroup("Okta", "z@x", "G"), "IdP `Okta` removes `z@x` from group `G`"),
    (
        MoveUser("Okta", "z@x", "G", "H"),
        "IdP `Okta` moves `z@x` from group `G` to `H`",
    ),
    (
        AddRule(ACCESS, '  rule "x": deny  ', 0),
        'add access rule at #1: rule "x": deny',
    ),
    (RemoveRule(ACCESS, "x"), "remove access rule `x`"),
    (MoveRule(FORWARDING, "x", 2), "move forwarding rule `x` to #3"),
    (ReplaceRule(ACCESS, "x", 'rule "y": deny'), "edit access rule `x`"),
    (SetRuleDisabled(ACCESS, "x"), "disable access rule `x`"),
    (SetRuleDisabled(ACCESS, "x", False), "enable access rule `x`"),
    (UsePolicy(parse_policy("access:\n  default: deny\n")), "use another policy"),
    (UsePolicy(parse_policy("access:\n  default: deny\n"), "v2"), "use v2"),
]


@pytest.mark.parametrize(("change", "text"), DESCRIPTIONS, ids=lambda x: str(x)[:40])
def test_describe(change: Change, text: str) -> None:
    assert change.describe() == text


def test_describe_a_parsed_rule_by_its_name() -> None:
    rule = parse_rule(TIMEOUT, 'rule "y": reauth every 1d idle never')
    text = AddRule(TIMEOUT, rule).describe()
    assert text in {"add timeout rule last: y", "add timeout rule last: `y`"}


def test_the_undo_of_a_patch_group_describes_itself(world: World) -> None:
    change = PatchGroup(
        "Okta", "SRE", [{"op": "replace", "path": "displayName", "value": "Ops"}]
    )
    _, undo = change.apply(world)
    assert undo.describe() == "IdP `Okta` restores group `Ops`"
