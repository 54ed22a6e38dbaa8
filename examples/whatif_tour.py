"""A what-if tour of the acme tenant: readiness, the re-authentication gate, a
reorganisation scenario (docs/whatif.md).

Run: ``python examples/whatif_tour.py``
"""

from __future__ import annotations

from pathlib import Path

from scimpolicy import (
    Population,
    Reauthenticate,
    SetIdp,
    load_scenario,
    load_workspace,
    readiness,
    what_if,
)

ACME = Path(__file__).parent / "acme"


def main() -> None:
    """Print what changes if Okta's SCIM Attributes for Policy is turned on."""
    acme = load_workspace(ACME)
    okta = readiness(acme, ["Okta"]).idps[0]
    print(
        f"Okta: {len(okta.missing)} users missing from SCIM, "
        f"{len(okta.mismatched)} NameID mismatches, {len(okta.inactive)} inactive, "
        f"{len(okta.stale)} sessions to re-authenticate"
    )

    access = Population(policy_types=["access"])
    enable = SetIdp("Okta", scim_attributes_for_policy=True)
    before_signing_in = what_if(acme, [enable], access)
    print(f"enabled, nobody signed in again: {before_signing_in.changed} changes")

    signed_in = what_if(acme, [enable, Reauthenticate(idp="Okta")], access)
    print(
        f"enabled, everyone signed in again: {signed_in.changed} changes, "
        f"{signed_in.users_losing} users lose access to something"
    )
    biggest = signed_in.transitions[0]
    print(f"most common: {biggest.before} -> {biggest.after} ({biggest.count})")

    reorg = load_scenario(ACME / "scenarios" / "reorg.toml")
    report = what_if(acme, reorg, access)
    print(
        f"the reorganisation scenario ({len(reorg)} changes): {report.changed} changes"
    )


if __name__ == "__main__":
    main()
