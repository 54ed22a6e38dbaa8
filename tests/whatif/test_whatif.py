"""What-if scenarios and the readiness report, on the acme example and the small world.

A what-if decides the same population (every session against every application) in
the world as it is and in the world after the changes, and reports the decisions that
differ, grouped by policy type and the pair of verdicts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import attrs
import pytest

from scimpolicy import (
    AccessAction,
    Decision,
    Directory,
    Duration,
    IdentityProvider,
    PolicyType,
    TimeoutAction,
)
from scimpolicy.whatif.bulk import Population, bulk_decide
from scimpolicy.whatif.changes import (
    MoveRule,
    Reauthenticate,
    RemoveUser,
    SetIdp,
    SetTime,
)
from scimpolicy.whatif.diff import Transition, Verdict, WhatIfReport, compare, what_if
from scimpolicy.whatif.readiness import ReadinessReport, readiness
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World
from tests.whatif.worlds import ENABLED, NOW, Lookups, directory_of

ACCESS: Final = PolicyType.ACCESS
FINANCE_APPS: Final = ("Payroll", "Payroll EU", "NetSuite ERP", "Expenses")


def _transition(
    report: WhatIfReport, policy_type: PolicyType, before: str, after: str
) -> Transition:
    """The transition from *before* to *after* (verdicts as ``str(Verdict)``)."""
    found = [
        t
        for t in report.transitions
        if t.policy_type is policy_type
        and str(t.before) == before
        and str(t.after) == after
    ]
    assert len(found) == 1, [f"{t.before} -> {t.after}" for t in report.transitions]
    return found[0]


# -- acme: enabling SCIM Attributes for Policy on Okta -------------------------------------


def test_enabling_scim_attributes_without_reauthentication_changes_nothing(
    acme: World,
) -> None:
    """Every Okta session signed in before now, so no SCIM criterion becomes usable
    by flipping the setting alone."""
    assert all(s.authenticated_at < acme.now for s in acme.sessions if s.idp == "Okta")
    report = what_if(acme, [SetIdp("Okta", scim_attributes_for_policy=True)])
    assert not report
    assert report.changed == 0
    assert report.transitions == ()
    apps = len(acme.tenant.segments)
    assert report.compared == len(acme.sessions) * (2 * apps + 1)
    assert (report.gained, report.lost) == (0, 0)


def test_with_reauthentication_okta_contractors_lose_finance_apps(acme: World) -> None:
    changes = [
        SetIdp("Okta", scim_attributes_for_policy=True),
        Reauthenticate(idp="Okta"),
    ]
    report = what_if(
        acme, changes, Population(apps=FINANCE_APPS, policy_types=[ACCESS])
    )
    lost = _transition(
        report,
        ACCESS,
        "allow (rule `Finance to finance apps`)",
        "deny (rule `Contractors: no finance or HR`)",
    )
    assert lost.count > 0
    assert lost.users > 0
    assert dict(lost.apps)["Payroll"] > 0
    assert {app for app, _ in lost.apps} <= set(FINANCE_APPS)
    okta = directory_of(acme, "Okta")
    assert lost.examples
    for example in lost.examples:
        user = okta.user_by_name(example)
        assert user is not None
        assert user.user_type == "Contractor", example
    assert report.lost >= lost.count
    assert report.users_losing >= lost.users
    # The same flip without the sign-ins changed nothing (above); the sign-ins alone
    # change nothing for access either while the setting is off.
    alone = what_if(
        acme,
        [Reauthenticate(idp="Okta")],
        Population(apps=FINANCE_APPS, policy_types=[ACCESS]),
    )
    assert alone.changed == 0


def test_moving_a_deny_after_a_broader_allow_turns_losses_into_gains(
    acme: World,
) -> None:
    names = [rule.name for rule in acme.policy.access.rules]
    allow = names.index("Finance to finance apps")
    deny = "Finance apps from home countries only"
    assert names.index(deny) < allow
    population = Population(apps=FINANCE_APPS, policy_types=[ACCESS])

    moved = what_if(acme, [MoveRule(ACCESS, deny, allow)], population)
    gained = _transition(
        moved,
        ACCESS,
        f"deny (rule `{deny}`)",
        "allow (rule `Finance to finance apps`)",
    )
    assert moved.gained == gained.count > 0
    assert moved.lost == 0

    # Moving it back, from the moved world: the same decisions, lost.
    after, undo = MoveRule(ACCESS, deny, allow).apply(acme)
    back = what_if(after, [undo], population)
    returned = _transition(
        back,
        ACCESS,
        "allow (rule `Finance to finance apps`)",
        f"deny (rule `{deny}`)",
    )
    assert (back.lost, back.gained) == (moved.gained, 0)
    assert returned.count == gained.count
    assert returned.users == gained.users == moved.users_gaining == back.users_losing


# -- the small world ---------------------------------------------------------------------------


def test_small_world_scim_attributes_for_entra(world: World) -> None:
    flip = SetIdp("Entra", scim_attributes_for_policy=True)
    assert not what_if(world, [flip])
    report = what_if(world, [flip, Reauthenticate(idp="Entra")])
    assert report.changes == (
        "IdP `Entra`: SCIM Attributes for Policy on",
        "everyone of IdP `Entra` re-authenticates now",
    )
    assert report.compared == 8 * 7
    assert (report.changed, report.gained, report.lost) == (5, 0, 1)
    assert (report.users_gaining, report.users_losing) == (0, 1)
    access, forwarding, timeout = report.transitions
    assert access == Transition(
        ACCESS,
        Verdict("allow", "rule `Finance to Payroll`"),
        Verdict("deny", "rule `Block contractors from payroll`"),
        1,
        1,
        (("Payroll", 1),),
        ("ines@acme.eu",),
    )
    assert forwarding.policy_type is PolicyType.FORWARDING
    assert forwarding.apps == ((None, 1),)
    assert forwarding.apps_text() == "-"
    assert str(forwarding.after) == (
        "intercept_accessible (rule `Contractors: allowed apps only`)"
    )
    assert timeout.policy_type is PolicyType.TIMEOUT
    assert str(timeout.before) == "reauth 7d, idle never (the default)"
    assert str(timeout.after) == (
        "reauth 1d, idle 30m (rule `Contractors re-auth daily`)"
    )
    assert timeout.count == 3
    assert timeout.apps_text() == "Git, Intranet, Payroll"
    assert timeout.apps_text(limit=1) == "Git +2"


def test_small_world_reordering(world: World) -> None:
    change = MoveRule(ACCESS, "Block contractors from payroll", 2)
    report = what_if(world, [change], Population(policy_types=[ACCESS]))
    assert (report.gained, report.lost, report.users_gaining) == (1, 0, 1)
    (gain,) = report.transitions
    assert str(gain.before) == "deny (rule `Block contractors from payroll`)"
    assert str(gain.after) == "allow (rule `Finance to Payroll`)"
    assert gain.examples == ("fran@acme.com",)


def test_render(world: World) -> None:
    report = what_if(world, [SetIdp("Entra", scim_attributes_for_policy=True)])
    assert report.render() == (
        "What if:\n"
        "  - IdP `Entra`: SCIM Attributes for Policy on\n"
        "\n"
        "0 of 56 decisions change"
    )
    report = what_if(world, [Reauthenticate(users=["carl@acme.com"])])
    text = report.render()
    lines = text.splitlines()
    assert lines[:4] == [
        "What if:",
        "  - `carl@acme.com` re-authenticates now",
        "",
        "5 of 56 decisions change; access: 0 gained by 0 users, 1 lost by 1 user",
    ]
    assert lines[5].split() == [
        "policy",
        "before",
        "after",
        "decisions",
        "users",
        "applications",
        "e.g.",
    ]
    assert lines[6].startswith("------")
    assert lines[7].split("  ")[0] == "access"
    assert "allow (rule `Finance to Payroll`)" in lines[7]
    assert "deny (rule `Block contractors from payroll`)" in lines[7]
    assert lines[7].rstrip().endswith("carl@acme.com")
    assert len(lines) == 10  # three transitions
    short = report.render(limit=1)
    assert short.splitlines()[-1] == (
        "... and 2 more kinds of change (--all shows them)"
    )
    assert report.render(limit=None) == text


def test_render_with_no_changes(world: World) -> None:
    report = what_if(world, [])
    assert report.render() == "What if:\n  (no changes)\n\n0 of 56 decisions change"


def test_to_json(world: World) -> None:
    report = what_if(world, [Reauthenticate(users=["carl@acme.com"])], examples=0)
    body = report.to_json()
    assert body["changes"] == ["`carl@acme.com` re-authenticates now"]
    assert (body["compared"], body["changed"]) == (56, 5)
    assert body["access"] == {
        "gained": 0,
        "lost": 1,
        "usersGaining": 0,
        "usersLosing": 1,
    }
    assert [t["policy"] for t in body["transitions"]] == [
        "access",
        "forwarding",
        "timeout",
    ]
    first = body["transitions"][0]
    assert first == {
        "policy": "access",
        "before": {"outcome": "allow", "decidedBy": "rule `Finance to Payroll`"},
        "after": {
            "outcome": "deny",
            "decidedBy": "rule `Block contractors from payroll`",
        },
        "decisions": 1,
        "users": 1,
        "applications": {"Payroll": 1},
        "examples": [],  # examples=0
    }
    assert body["transitions"][1]["applications"] == {"": 1}  # forwarding


def test_transitions_are_ordered_by_policy_then_size(world: World) -> None:
    report = what_if(world, [RemoveUser("Okta", "alice@acme.com")])
    kinds = [t.policy_type for t in report.transitions]
    assert kinds == sorted(
        kinds, key=[ACCESS, PolicyType.FORWARDING, PolicyType.TIMEOUT].index
    )
    access = [t for t in report.transitions if t.policy_type is ACCESS]
    assert [t.count for t in access] == sorted((t.count for t in access), reverse=True)
    # Alice blocked: Git and the intranet lost, Payroll now denied by the gate.
    assert report.lost == 2
    assert {str(t.after) for t in access} == {"deny (the SCIM presence check)"}
    assert {
        str(t.after) for t in report.transitions if t.policy_type is not ACCESS
    } == {"blocked (the SCIM presence check)"}


def test_examples_are_distinct_users_up_to_the_limit(world: World) -> None:
    report = what_if(world, [SetTime(NOW + timedelta(days=30))], examples=2)
    expired = [t for t in report.transitions if "(expired)" in t.after.outcome]
    assert expired
    for transition in expired:
        assert len(transition.examples) == min(2, transition.users)
        assert len(set(transition.examples)) == len(transition.examples)


def test_what_if_reports_progress_of_both_runs(world: World) -> None:
    calls: list[tuple[int, int]] = []
    what_if(
        world,
        [Reauthenticate()],
        Population(),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls
    assert calls[-1] == (2 * 56, 2 * 56)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones)


def test_the_world_a_what_if_starts_from_never_changes(world: World) -> None:
    rows = list(bulk_decide(world))
    what_if(world, [RemoveUser("Okta", "alice@acme.com"), SetTime(NOW)])
    assert list(bulk_decide(world)) == rows


# -- compare --------------------------------------------------------------------------------


def test_compare_needs_the_same_population(world: World) -> None:
    rows = list(bulk_decide(world))
    with pytest.raises(ValueError, match="do not decide the same requests"):
        compare(rows, rows[:-1])
    with pytest.raises(ValueError, match="do not decide the same requests"):
        compare(rows[:-1], rows)
    other = list(bulk_decide(world, Population(apps=["Intranet", "Git", "Payroll"])))
    assert len(other) == len(rows)
    with pytest.raises(ValueError, match="do not decide the same requests"):
        compare(rows, other)
    later = list(bulk_decide(world, Population(sessions=world.sessions[::-1])))
    with pytest.raises(ValueError, match="do not decide the same requests"):
        compare(rows, later)


def test_compare_of_a_run_with_itself(world: World) -> None:
    rows = list(bulk_decide(world))
    report = compare(rows, rows, changes=["nothing"])
    assert report.changes == ("nothing",)
    assert (report.compared, report.changed) == (len(rows), 0)
    assert compare([], []).compared == 0


def test_compare_counts_only_changed_verdicts(world: World) -> None:
    """Equal verdicts from different decision values are no change (notes differ)."""
    rows = list(bulk_decide(world, Population(apps=["Git"], policy_types=[ACCESS])))
    renoted = [
        row._replace(decision=attrs.evolve(row.decision, notes=("other",)))
        for row in rows
    ]
    assert renoted != rows
    assert compare(rows, renoted).changed == 0


def test_verdicts() -> None:
    timeout = Decision(
        PolicyType.TIMEOUT,
        TimeoutAction(Duration(90), Duration(None)),
        rule="r",
        expired=True,
    )
    assert str(Verdict.of(timeout)) == "reauth 90m, idle never (expired) (rule `r`)"
    weeks = Decision(PolicyType.TIMEOUT, TimeoutAction(Duration(20160), Duration(120)))
    assert Verdict.of(weeks) == Verdict("reauth 14d, idle 2h", "the default")
    blocked = Decision(PolicyType.FORWARDING, None, blocked=True)
    assert str(Verdict.of(blocked)) == "blocked (an unknown identity provider)"
    allow = Decision(ACCESS, AccessAction.ALLOW, rule="x")
    assert Verdict.of(allow) < Verdict.of(Decision(ACCESS, AccessAction.DENY))


# -- readiness --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acme_readiness(acme: World) -> ReadinessReport:
    return readiness(acme, ["Okta", "Entra"])


def _expected(acme: World, idp: str) -> dict[str, int]:
    """The readiness counts of *idp*, straight from the data: a NameID SCIM does not
    know is an alias when it is a SCIM user's mailbox at another domain; a session
    needs to sign in again when it is older than the moment SCIM Attributes for
    Policy was (already on) or would be (now) enabled."""
    directory = directory_of(acme, idp)
    enabled_at = acme.idp(idp).scim_attributes_enabled_at or acme.now
    mailboxes = {u.user_name.casefold().partition("@")[0] for u in directory.users()}
    counts = {"sessions": 0, "missing": 0, "mismatched": 0, "inactive": 0, "stale": 0}
    for session in acme.sessions:
        if session.idp != idp:
            continue
        counts["sessions"] += 1
        user = directory.user_by_name(session.user)
        if user is None:
            mailbox = session.user.casefold().partition("@")[0]
            counts["mismatched" if mailbox in mailboxes else "missing"] += 1
        elif not user.is_active:
            counts["inactive"] += 1
        elif session.authenticated_at < enabled_at:
            counts["stale"] += 1
    return counts


def test_readiness_on_acme_counts_what_the_data_holds(
    acme: World, acme_readiness: ReadinessReport
) -> None:
    report = acme_readiness
    assert report.at == acme.now
    assert [idp.idp for idp in report.idps] == ["Okta", "Entra"]
    for idp in report.idps:
        assert {
            "sessions": idp.sessions,
            "missing": len(idp.missing),
            "mismatched": len(idp.mismatched),
            "inactive": len(idp.inactive),
            "stale": len(idp.stale),
        } == _expected(acme, idp.idp), idp.idp
        assert idp.scim_sync
        assert not idp.ready
        directory = directory_of(acme, idp.idp)
        assert idp.inactive_in_directory == sum(
            1 for user in directory.users() if not user.is_active
        )
    okta, entra = report.idps
    # Okta would enable it now; Entra has had it on since Monday morning.
    assert (okta.enabled_at, okta.already_enabled) == (acme.now, False)
    entra_idp = acme.idp("Entra")
    assert (entra.enabled_at, entra.already_enabled) == (
        entra_idp.scim_attributes_enabled_at,
        True,
    )
    # sessions.json holds 25 sessions of users SCIM does not know ...
    assert len(okta.missing) + len(entra.missing) == 25
    # ... and 10 Okta NameIDs at @acme.com for SCIM users at @acme.example.
    assert len(okta.mismatched) == 10
    assert len(entra.mismatched) == 0
    for finding in okta.mismatched:
        assert finding.user.endswith("@acme.com")
        alias = finding.user.removesuffix("@acme.com") + "@acme.example"
        assert f"SCIM has `{alias}`" in finding.detail
    assert len(okta.inactive) > 0
    assert len(entra.inactive) > 0
    assert not report.ready


def test_readiness_decisions_are_the_enable_and_reauthenticate_what_if(
    acme_readiness: ReadinessReport,
) -> None:
    decisions = acme_readiness.decisions
    assert decisions.changes == (
        "IdP `Okta`: SCIM Attributes for Policy on at 2026-11-23T09:00:00Z",
        "everyone of IdP `Okta` re-authenticates at 2026-11-23T09:00:00Z",
        # Entra's setting is on already: only its older sessions sign in again.
        "everyone of IdP `Entra` re-authenticates at 2026-11-16T08:00:00Z",
    )
    assert decisions.changed > 0
    assert decisions.lost > 0


def test_readiness_render_and_json(acme_readiness: ReadinessReport) -> None:
    text = acme_readiness.render(limit=2)
    okta = acme_readiness.idps[0]
    assert text.startswith(
        "Readiness for SCIM Attributes for Policy (2026-11-23T09:00:00Z)\n"
    )
    assert (
        f"IdP `Okta`: NOT ready ({okta.sessions:,} sessions)\n"
        "  SCIM Attributes for Policy would be enabled at 2026-11-23T09:00:00Z\n"
    ) in text
    assert "  SCIM Attributes for Policy on since 2026-11-16T08:00:00Z\n" in text
    assert f"  users seen in SAML but missing from SCIM: {len(okta.missing)}\n" in text
    assert f"  NameID and userName mismatches: {len(okta.mismatched)}\n" in text
    assert f"    ... and {len(okta.missing) - 2} more\n" in text
    assert (
        f"    {okta.missing[0].user}: not in SCIM: blocked when SCIM Sync is on" in text
    )
    assert f"  sessions of inactive users: {len(okta.inactive)}\n" in text
    assert (
        f"  sessions that still need to re-authenticate: {len(okta.stale):,}\n" in text
    )
    assert "Decisions once every session has re-authenticated (a what-if):" in text
    assert "SCIM Sync is off" not in text

    body = acme_readiness.to_json()
    assert body["at"] == "2026-11-23T09:00:00Z"
    assert body["ready"] is False
    first = body["idps"][0]
    assert first["idp"] == "Okta"
    assert first["ready"] is False
    assert first["scimSync"] is True
    assert first["scimAttributesEnabledAt"] == "2026-11-23T09:00:00Z"
    assert first["alreadyEnabled"] is False
    assert body["idps"][1]["alreadyEnabled"] is True
    assert len(first["missingFromScim"]) == len(okta.missing)
    assert len(first["nameIdMismatches"]) == 10
    assert first["nameIdMismatches"][0] == okta.mismatched[0].to_json()
    assert set(first["inactiveUsers"][0]) == {"user", "detail"}
    assert len(first["needReauthentication"]) == len(okta.stale)
    assert first["inactiveInDirectory"] == okta.inactive_in_directory
    assert body["decisions"] == acme_readiness.decisions.to_json()


def test_readiness_defaults_to_the_idps_with_scim_attributes_off(world: World) -> None:
    report = readiness(world)
    assert [idp.idp for idp in report.idps] == ["Entra"]
    (entra,) = report.idps
    assert (entra.missing, entra.mismatched, entra.inactive) == ((), (), ())
    assert [f.user for f in entra.stale] == ["hugo@acme.eu", "ines@acme.eu"]
    assert "authenticated 2026-11-19T17:00:00Z" in entra.stale[0].detail
    assert entra.ready
    assert report.ready
    assert "IdP `Entra`: ready (2 sessions)" in report.render()
    assert report.decisions.lost == 1  # Ines, from Payroll


def test_readiness_of_an_idp_that_has_it_on_already(world: World) -> None:
    """Okta has had SCIM Attributes for Policy on since ENABLED: only Carl, who signed
    in before then, still needs to; the what-if signs him in at that moment."""
    report = readiness(world, ["Okta"])
    (okta,) = report.idps
    assert (okta.enabled_at, okta.already_enabled) == (ENABLED, True)
    assert [f.user for f in okta.stale] == ["carl@acme.com"]
    assert "  SCIM Attributes for Policy on since 2026-11-20T09:00:00Z" in (
        report.render()
    )
    assert report.decisions.changes == (
        "everyone of IdP `Okta` re-authenticates at 2026-11-20T09:00:00Z",
    )
    (lost,) = [t for t in report.decisions.transitions if t.policy_type is ACCESS]
    assert lost.examples == ("carl@acme.com",)
    assert str(lost.after) == "deny (rule `Block contractors from payroll`)"


def test_readiness_at_a_later_moment(world: World) -> None:
    at = NOW + timedelta(days=1)
    report = readiness(world, ["Okta"], at=at)
    assert report.at == at
    (okta,) = report.idps
    assert (okta.enabled_at, okta.already_enabled) == (at, False)
    assert [f.user for f in okta.missing] == ["zed@acme.com"]
    assert [f.user for f in okta.inactive] == ["dana@acme.com"]
    # Every active user's session is older than the new moment.
    assert {f.user for f in okta.stale} == {
        "alice@acme.com",
        "carl@acme.com",
        "fran@acme.com",
        "erin@acme.com",
    }
    assert okta.inactive_in_directory == 1
    assert not report.ready


def test_readiness_without_scim_sync_or_sessions(world: World) -> None:
    off, _ = SetIdp("Entra", scim_sync=False).apply(world)
    off = off.evolve(sessions=[s for s in off.sessions if s.idp != "Entra"])
    report = readiness(off, ["Entra"])
    (entra,) = report.idps
    assert entra.sessions == 0
    assert not entra.ready
    assert "SCIM Sync is off: SCIM Attributes for Policy has no effect" in (
        report.render()
    )
    # No session of Entra: nobody to re-authenticate.
    assert report.decisions.changes == (
        "IdP `Entra`: SCIM Attributes for Policy on at 2026-11-23T09:00:00Z",
    )


def test_readiness_of_an_unknown_idp(world: World) -> None:
    with pytest.raises(KeyError, match="no IdP named `Ping`"):
        readiness(world, ["Ping"])


def test_readiness_finds_aliases_by_email_and_mailbox(world: World) -> None:
    directory = Directory()
    directory.create_user(
        {"userName": "u1@acme.eu", "emails": [{"value": "hugo@acme.eu"}]}
    )
    directory.create_user(
        {"userName": "ines@other.example", "emails": [{"type": "home"}]}
    )
    # Two users share a mailbox: it names neither.
    directory.create_user({"userName": "zed@one.example"})
    directory.create_user({"userName": "zed@two.example"})
    renamed = world.with_idp(IdentityProvider("Entra", directory, scim_sync=True))
    renamed = renamed.evolve(
        sessions=[*renamed.sessions, Session("zed@x", "Entra", NOW)]
    )
    (entra,) = readiness(renamed, ["Entra"]).idps
    assert [(f.user, f.detail.split(";")[1].strip()) for f in entra.mismatched] == [
        (
            "hugo@acme.eu",
            "SCIM has `u1@acme.eu`: the IdP's NameID must be the SCIM userName",
        ),
        (
            "ines@acme.eu",
            "SCIM has `ines@other.example`: the IdP's NameID must be the SCIM userName",
        ),
    ]
    assert [f.user for f in entra.missing] == ["zed@x"]


def test_readiness_of_a_directory_that_cannot_list_users(world: World) -> None:
    ines = directory_of(world, "Entra").user_by_name("ines@acme.eu")
    assert ines is not None
    lookups = world.with_idp(IdentityProvider("Entra", Lookups(ines), scim_sync=True))
    (entra,) = readiness(lookups, ["Entra"]).idps
    assert [f.user for f in entra.missing] == ["hugo@acme.eu"]  # no aliases to look at
    assert [f.user for f in entra.stale] == ["ines@acme.eu"]
    assert entra.inactive_in_directory == 0
