"""The assertion helpers: what each accepts, what it returns, and the failure message
(what was expected, what was decided, then the decision's whole explanation)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scimpolicy import (
    AccessAction,
    Duration,
    ForwardingAction,
    PolicyType,
    Request,
    RuleStatus,
    TimeoutAction,
    World,
    load_workspace,
)
from scimpolicy.testing import (
    BLOCKED,
    DEFAULT,
    RequestFactory,
    assert_allowed,
    assert_blocked,
    assert_decided_by,
    assert_denied,
    assert_outcome,
)
from tests.testing.tenants import write_tenant


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return load_workspace(write_tenant(tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="module")
def requests(world: World) -> RequestFactory:
    return RequestFactory(world)


def failure(error: pytest.ExceptionInfo[AssertionError]) -> list[str]:
    return str(error.value).splitlines()


def test_assert_allowed_returns_the_explained_decision(
    world: World, requests: RequestFactory
) -> None:
    """A passing helper returns the decision, with its trace (explain_* was used)."""
    decision = assert_allowed(world, requests("alice@example.com", app="Payroll"))
    assert decision.rule == "Finance to payroll"
    assert [entry.status for entry in decision.trace] == [
        RuleStatus.NOT_MATCHED,
        RuleStatus.MATCHED,
    ]


def test_assert_allowed_fails_with_expected_got_and_the_explanation(
    world: World, requests: RequestFactory
) -> None:
    """The message is one line of expected and got, then `explain()` verbatim."""
    request = requests("carl@example.com", app="Payroll")
    with pytest.raises(AssertionError) as error:
        assert_allowed(world, request)
    assert failure(error) == [
        (
            "access for `carl@example.com` (IdP `Okta`) to `Payroll`: expected allow, "
            "got deny (rule `Contractors: no payroll`)"
        ),
        "access decision: deny for `Payroll`",
        "  decided by rule `Contractors: no payroll`",
        "  reason code: BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
        "  #1 `Contractors: no payroll`: matched",
    ]
    decision = world.engine().explain_access(request)
    assert str(error.value).endswith("\n" + decision.explain())


def test_the_helpers_take_a_world_or_an_engine(
    world: World, requests: RequestFactory
) -> None:
    """A World is decided by its engine; an Engine as it is; anything else is a
    TypeError that says what to give."""
    request = requests("alice@example.com", app="Wiki")
    assert assert_allowed(world, request) == assert_allowed(world.engine(), request)
    with pytest.raises(TypeError, match="expected a World or an Engine, got `str`"):
        assert_allowed("examples/acme", request)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("user", "saml", "decided_by"),
    [
        ("carl@example.com", {}, "rule `Contractors: no payroll`"),
        ("mona@example.com", {"role": "manager"}, "rule `Managers: "),
        ("mona@example.com", {}, "the default"),
        ("dana@example.com", {}, "the SCIM presence check"),
    ],
)
def test_assert_denied_is_anything_but_allow(
    world: World,
    requests: RequestFactory,
    user: str,
    saml: dict[str, str],
    decided_by: str,
) -> None:
    """deny (by a rule or the default), require_approval and blocked all count as
    denied."""
    decision = assert_denied(world, requests(user, app="Payroll", saml=saml))
    assert decision.decided_by.startswith(decided_by)
    assert not decision.allowed


def test_assert_denied_covers_a_host_no_segment_covers(
    world: World, requests: RequestFactory
) -> None:
    """A host outside every segment is denied before any rule."""
    decision = assert_denied(world, requests("alice@example.com", host="vpn.other"))
    assert decision.decided_by == "application segment resolution"


def test_assert_denied_fails_on_allow(world: World, requests: RequestFactory) -> None:
    """An allowed request fails assert_denied, with the explanation."""
    with pytest.raises(AssertionError) as error:
        assert_denied(world, requests("alice@example.com", app="Payroll"))
    assert failure(error)[0] == (
        "access for `alice@example.com` (IdP `Okta`) to `Payroll`: expected no access "
        "(deny, require_approval or blocked), got allow (rule `Finance to payroll`)"
    )
    assert "  #2 `Finance to payroll`: matched" in failure(error)


def test_assert_blocked(world: World, requests: RequestFactory) -> None:
    """Inactive and missing users are blocked, for any policy type; a decided
    request fails with its notes and trace."""
    decision = assert_blocked(world, requests("dana@example.com", app="Wiki"))
    assert decision.notes
    missing = requests("zed@example.com", idp="Okta", app="Wiki")
    assert assert_blocked(world, missing, policy="forwarding").outcome is None
    assert assert_blocked(world, missing, policy=PolicyType.TIMEOUT).blocked
    with pytest.raises(AssertionError) as error:
        assert_blocked(world, requests("mona@example.com", app="Wiki"))
    assert failure(error)[:3] == [
        (
            "access for `mona@example.com` (IdP `Okta`) to `Wiki`: expected blocked, got "
            "allow (rule `Everyone to the wiki`)"
        ),
        "access decision: allow for `Wiki`",
        "  decided by rule `Everyone to the wiki`",
    ]


def test_assert_decided_by_a_rule_ignoring_case(
    world: World, requests: RequestFactory
) -> None:
    """Rule names compare ignoring case (ZPA's are unique ignoring case)."""
    request = requests("carl@example.com", app="Payroll")
    assert assert_decided_by(world, request, "contractors: NO payroll").rule == (
        "Contractors: no payroll"
    )
    timeout = assert_decided_by(world, request, "Contractors daily", policy="timeout")
    assert timeout.expires_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_assert_decided_by_the_default(world: World, requests: RequestFactory) -> None:
    """`default` passes only when the policy's default decided: not a rule, not a
    block, not a host no segment covers."""
    request = requests("mona@example.com", app="Payroll")
    assert assert_decided_by(world, request, DEFAULT).rule is None
    for request, got in [
        (requests("alice@example.com", app="Payroll"), "allow (rule `Finance to "),
        (requests("dana@example.com", app="Wiki"), "blocked (the SCIM presence check)"),
        (
            requests("alice@example.com", host="vpn.other"),
            "deny (application segment resolution)",
        ),
    ]:
        with pytest.raises(AssertionError) as error:
            assert_decided_by(world, request, "default")
        assert f"expected the default to decide, got {got}" in failure(error)[0]


def test_assert_decided_by_fails_with_the_rule_that_decided(
    world: World, requests: RequestFactory
) -> None:
    """Another rule deciding fails; the message adds a note when the rule named is
    disabled or does not exist (with a suggestion)."""
    request = requests("mona@example.com", app="Wiki")
    with pytest.raises(AssertionError) as error:
        assert_decided_by(world, request, "Contractors: no payroll")
    assert failure(error)[:2] == [
        (
            "access for `mona@example.com` (IdP `Okta`) to `Wiki`: expected rule "
            "`Contractors: no payroll` to decide, got allow (rule `Everyone to the wiki`)"
        ),
        "access decision: allow for `Wiki`",
    ]
    with pytest.raises(AssertionError) as error:
        assert_decided_by(world, request, "Wiki freeze")
    assert failure(error)[1] == "(that rule is disabled)"
    assert "  #3 `Wiki freeze`: disabled" in failure(error)
    with pytest.raises(AssertionError) as error:
        assert_decided_by(world, request, "Everyone to the wikki")
    assert failure(error)[1] == (
        "(no access rule is named `Everyone to the wikki`: did you mean "
        "`Everyone to the wiki`?)"
    )
    with pytest.raises(AssertionError) as error:
        assert_decided_by(world, request, "Contractors daily")
    assert failure(error)[1] == (
        '(`Contractors daily` is a timeout rule: give policy="timeout")'
    )
    with pytest.raises(AssertionError) as error:
        assert_decided_by(world, request, "Something else entirely")
    assert failure(error)[1] == "(no access rule is named `Something else entirely`)"


@pytest.mark.parametrize(
    ("user", "policy", "outcome"),
    [
        ("alice@example.com", None, "allow"),
        ("alice@example.com", None, AccessAction.ALLOW),
        ("carl@example.com", None, " DENY "),
        ("mona@example.com", "access", "deny"),
        ("carl@example.com", None, "intercept_accessible"),
        ("alice@example.com", PolicyType.FORWARDING, ForwardingAction.INTERCEPT),
        ("carl@example.com", None, "reauth every 1d idle 30m"),
        ("carl@example.com", None, "reauth every 24h idle 30m"),
        (
            "carl@example.com",
            "timeout",
            TimeoutAction(Duration(1440), Duration(30)),
        ),
        ("alice@example.com", None, "reauth every 7d idle never"),
        ("dana@example.com", None, BLOCKED),
        ("dana@example.com", "forwarding", "blocked"),
    ],
)
def test_assert_outcome_passes(
    world: World,
    requests: RequestFactory,
    user: str,
    policy: str | None,
    outcome: str | AccessAction | ForwardingAction | TimeoutAction,
) -> None:
    """Outcomes as text or actions; the policy type follows from the outcome;
    timeouts compare as durations."""
    decision = assert_outcome(
        world, requests(user, app="Payroll"), outcome, policy=policy
    )
    assert decision.trace or decision.blocked


def test_assert_outcome_fails(world: World, requests: RequestFactory) -> None:
    """Another outcome fails; `blocked` is not `deny`, and `deny` is not `blocked`."""
    cases: list[tuple[Request, str, str]] = [
        (
            requests("carl@example.com", app="Payroll"),
            "allow",
            "expected allow, got deny (rule `Contractors: no payroll`)",
        ),
        (
            requests("dana@example.com", app="Payroll"),
            "deny",
            "expected deny, got blocked (the SCIM presence check)",
        ),
        (
            requests("carl@example.com", app="Payroll"),
            "blocked",
            "expected blocked, got deny (rule `Contractors: no payroll`)",
        ),
        (
            requests("alice@example.com", app="Payroll"),
            "reauth every 24h idle 30m",
            (
                "expected reauth every 1d idle 30m, got reauth every 7d idle never "
                "(the default)"
            ),
        ),
    ]
    for request, outcome, expected in cases:
        with pytest.raises(AssertionError) as error:
            assert_outcome(world, request, outcome)
        assert failure(error)[0].endswith(f": {expected}")


def test_assert_outcome_forwarding_failure_names_no_application(
    world: World, requests: RequestFactory
) -> None:
    """A forwarding request without an application says so in the context."""
    with pytest.raises(AssertionError) as error:
        assert_outcome(world, requests("alice@example.com"), "bypass")
    assert failure(error)[:2] == [
        (
            "forwarding for `alice@example.com` (IdP `Okta`): expected bypass, got "
            "intercept (the default)"
        ),
        "forwarding decision: intercept",
    ]


def test_a_host_and_port_show_in_the_context(
    world: World, requests: RequestFactory
) -> None:
    """The context names the host and port when no segment covers them."""
    with pytest.raises(AssertionError) as error:
        assert_allowed(world, requests("alice@example.com", host="vpn.other", port=22))
    assert failure(error)[0].startswith(
        "access for `alice@example.com` (IdP `Okta`) to `vpn.other:22`: expected allow"
    )


@pytest.mark.parametrize(
    ("outcome", "policy", "message"),
    [
        ("alow", None, "`alow` is not an outcome: expected allow, deny, "),
        ("reauth every day", None, "`reauth every day` is not an outcome"),
        ("allow", "timeout", "`allow` is a access outcome, not a timeout one"),
        (
            ForwardingAction.BYPASS,
            PolicyType.ACCESS,
            "`bypass` is a forwarding outcome, not a access one",
        ),
        ("allow", "acess", "unknown policy type `acess`: expected access, "),
    ],
)
def test_assert_outcome_rejects_what_is_not_an_outcome(
    world: World,
    requests: RequestFactory,
    outcome: str,
    policy: str | None,
    message: str,
) -> None:
    """A misspelt outcome or one of another policy type is the test's mistake: a
    ValueError, not a failed assertion."""
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        assert_outcome(
            world, requests("alice@example.com", app="Wiki"), outcome, policy=policy
        )


def test_assert_decided_by_rejects_an_unknown_policy_type(
    world: World, requests: RequestFactory
) -> None:
    """The policy type is checked before deciding."""
    with pytest.raises(ValueError, match="unknown policy type `access policy`"):
        assert_decided_by(
            world,
            requests("alice@example.com", app="Wiki"),
            "x",
            policy="access policy",
        )
