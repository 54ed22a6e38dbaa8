"""Requests and directories for tests: defaults, the IdP inferred from SCIM, forks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from scimpolicy import Group, Request, World, load_workspace
from scimpolicy.testing import DirectoryFactory, RequestFactory, make_request
from tests.testing.tenants import NOW, write_tenant

ACME = Path(__file__).parents[2] / "examples" / "acme"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> World:
    return load_workspace(write_tenant(tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="module")
def acme() -> World:
    return load_workspace(ACME)


def test_a_request_is_a_fresh_sign_in_at_the_worlds_now(tiny: World) -> None:
    """Defaults: the only IdP, now = the world's, authenticated at now, Client
    Connector, no SAML attributes or context."""
    assert make_request(tiny, "alice@example.com", app="Wiki") == Request(
        "alice@example.com", "Okta", NOW, NOW, app="Wiki"
    )


def test_every_option_reaches_the_request(tiny: World) -> None:
    """Each keyword is the request's field of that name."""
    signed_in = datetime(2026, 11, 1, tzinfo=UTC)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    request = RequestFactory(tiny)(
        "alice@example.com",
        idp="Okta",
        host="payroll.example.com",
        port=443,
        authenticated_at=signed_in,
        now=later,
        saml={"role": ["employee", "manager"]},
        client_type="web_browser",
        platform="mac",
        country="US",
        posture={"EDR": True},
        trusted_networks=["HQ"],
        machine_group="Laptops",
    )
    assert request == Request(
        "alice@example.com",
        "Okta",
        signed_in,
        later,
        host="payroll.example.com",
        port=443,
        saml={"role": ("employee", "manager")},
        client_type="web_browser",
        platform="mac",
        country="US",
        posture={"EDR": True},
        trusted_networks=frozenset({"HQ"}),
        machine_group="Laptops",
    )


def test_the_idp_is_the_one_whose_scim_directory_has_the_user(acme: World) -> None:
    """With several IdPs, the one IdP provisioning the user is chosen."""
    assert make_request(acme, "mia.lopez@acme.example").idp == "Okta"
    assert make_request(acme, "NADIA.WAGNER@acme-europe.example").idp == "Entra"


def test_an_idp_that_cannot_be_inferred_or_does_not_exist(
    acme: World, tiny: World
) -> None:
    """A user no IdP provisions needs `idp`; an unknown IdP or application is an
    error with a suggestion."""
    with pytest.raises(ValueError, match=r"^`nobody@acme\.example`") as error:
        make_request(acme, "nobody@acme.example")
    assert str(error.value) == (
        "`nobody@acme.example` is in no IdP's SCIM directory: give `idp` (IdPs: "
        "`Okta`, `Entra`)"
    )
    with pytest.raises(ValueError, match=r"^no IdP named `okta`: did you mean `Okta`"):
        make_request(acme, "nobody@acme.example", idp="okta")
    with pytest.raises(
        ValueError, match=r"^no application segment `payroll`: did you mean `Payroll`"
    ):
        make_request(tiny, "alice@example.com", app="payroll")


def test_a_user_in_several_directories_needs_the_idp(acme: World) -> None:
    """When two IdPs provision the same NameID, the request must name one."""
    okta = acme.idp("Okta")
    both = acme.with_idp(attrs.evolve(acme.idp("Entra"), directory=okta.directory))
    with pytest.raises(ValueError, match="is in several IdPs' SCIM directories"):
        make_request(both, "mia.lopez@acme.example")
    assert make_request(both, "mia.lopez@acme.example", idp="Entra").idp == "Entra"


def test_a_directory_is_a_fork_of_the_idps(tiny: World) -> None:
    """Changing the directory given leaves the world's untouched."""
    directories = DirectoryFactory(tiny)
    directory = directories()
    assert directory is not tiny.idp("Okta").directory
    assert {u.user_name for u in directory.users()} == {
        u.user_name for u in directories("Okta").users()
    }
    user = directory.user_by_name("alice@example.com")
    assert user is not None
    directory.delete_user(user.id)
    assert directory.user_by_name("alice@example.com") is None
    assert tiny.idp("Okta").directory.user_by_name("alice@example.com") is not None


def test_a_directory_needs_a_known_idp(acme: World) -> None:
    """No name with several IdPs, or an unknown name, is a KeyError naming them."""
    with pytest.raises(KeyError, match="name the IdP: the tenant has 2"):
        DirectoryFactory(acme)()
    with pytest.raises(KeyError, match="no IdP named `Google`"):
        DirectoryFactory(acme)("Google")


def test_a_directory_that_is_not_a_scim_directory(tiny: World) -> None:
    """An IdP reading users from something else cannot be forked."""

    class Users:
        def user_by_name(self, *_: object, **__: object) -> None:
            return None

        def group_names_of(self, _: str) -> frozenset[str]:
            return frozenset()

        def groups(self) -> Iterator[Group]:
            return iter(())

    odd = tiny.with_idp(attrs.evolve(tiny.idp("Okta"), directory=Users()))
    with pytest.raises(TypeError, match="reads users from a `Users`"):
        DirectoryFactory(odd)("Okta")


def test_the_factories_show_their_world_briefly(tiny: World) -> None:
    """Their repr names the tenant file, not the whole world (pytest prints it)."""
    assert repr(RequestFactory(tiny)) == f"RequestFactory(<world of {tiny.origin}>)"
    bare = World(tiny.tenant, tiny.policy, tiny.now)
    assert repr(DirectoryFactory(bare)) == "DirectoryFactory(<a world>)"
