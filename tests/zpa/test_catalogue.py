"""``Catalogue``: ZPA object IDs and names, read from a folder of ZPA API JSON files
(one file per kind, a list or a page ``{"list": [...]}``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scimpolicy import DataFileError
from scimpolicy.zpa import Catalogue, Entry, Kind

FIXTURES = Path(__file__).parent / "fixtures" / "catalogue"
OKTA = "216196257331281920"
ENTRA = "216196257331281921"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(FIXTURES)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_names_and_ids_both_ways(catalogue: Catalogue) -> None:
    """Every kind maps ID to name and name to ID."""
    assert catalogue.name(Kind.IDP, OKTA) == "Okta"
    assert catalogue.id_of(Kind.IDP, "Entra") == ENTRA
    assert catalogue.name(Kind.APPLICATION, "216196257331291970") == "Payroll"
    assert catalogue.id_of(Kind.APPLICATION, "Intranet") == "216196257331291971"
    assert catalogue.name(Kind.SEGMENT_GROUP, "216196257331291968") == "Finance Apps"
    assert catalogue.id_of(Kind.MACHINE_GROUP, "Build Servers") == "216196257331292300"
    assert catalogue.entry(Kind.APPLICATION, "216196257331291969") == Entry(
        "216196257331291969", "Git"
    )


def test_unknown_ids_and_names_are_none(catalogue: Catalogue) -> None:
    assert catalogue.name(Kind.APPLICATION, "1") is None
    assert catalogue.entry(Kind.APPLICATION, "1") is None
    assert catalogue.id_of(Kind.APPLICATION, "Payrol") is None
    # An ID of one kind is not an ID of another.
    assert catalogue.name(Kind.SEGMENT_GROUP, "216196257331291970") is None
    # Neither booleans nor empty strings are IDs.
    assert catalogue.name(Kind.APPLICATION, True) is None
    assert catalogue.name(Kind.APPLICATION, "") is None


def test_numeric_ids_are_compared_as_strings(catalogue: Catalogue) -> None:
    """scim-groups.json writes IDs and idpIds as JSON numbers."""
    contractors = catalogue.entry(Kind.SCIM_GROUP, 295020)
    assert contractors == Entry("295020", "Contractors", OKTA)
    assert catalogue.name(Kind.SCIM_GROUP, "295020") == "Contractors"
    assert catalogue.id_of(Kind.SCIM_GROUP, "Finance", ENTRA) == "295101"


def test_per_idp_kinds_repeat_names_across_idps(catalogue: Catalogue) -> None:
    """SCIM attributes, SCIM groups and SAML attributes belong to one IdP each."""
    assert [kind for kind in Kind if kind.per_idp] == [
        Kind.SCIM_ATTRIBUTE,
        Kind.SCIM_GROUP,
        Kind.SAML_ATTRIBUTE,
    ]
    assert catalogue.id_of(Kind.SCIM_ATTRIBUTE, "department", OKTA) == (
        "216196257331285825"
    )
    assert catalogue.id_of(Kind.SCIM_ATTRIBUTE, "department", ENTRA) == (
        "216196257331285901"
    )
    # Without its IdP a per-IdP name is not found; Entra has no userType.
    assert catalogue.id_of(Kind.SCIM_ATTRIBUTE, "department") is None
    assert catalogue.id_of(Kind.SCIM_ATTRIBUTE, "userType", ENTRA) is None
    assert catalogue.names(Kind.SCIM_ATTRIBUTE, OKTA) == [
        "department",
        "userType",
        "active",
    ]
    assert catalogue.names(Kind.SCIM_GROUP, ENTRA) == ["Finance"]
    assert catalogue.names(Kind.APPLICATION) == ["Git", "Payroll", "Intranet"]


def test_scim_attribute_names_ignore_case(catalogue: Catalogue) -> None:
    """RFC 7643 §2.1: attribute names are case-insensitive; group names are not."""
    assert catalogue.id_of(Kind.SCIM_ATTRIBUTE, "USERTYPE", OKTA) == (
        "216196257331285826"
    )
    assert catalogue.id_of(Kind.SCIM_GROUP, "sre", OKTA) is None


def test_saml_attributes_are_named_by_saml_name(catalogue: Catalogue) -> None:
    """The name a SAML criterion uses is the attribute's `samlName`, not its `name`."""
    assert catalogue.entry(Kind.SAML_ATTRIBUTE, "216196257331285100") == Entry(
        "216196257331285100", "department", OKTA
    )
    assert catalogue.id_of(Kind.SAML_ATTRIBUTE, "role", OKTA) == "216196257331285101"
    assert catalogue.id_of(Kind.SAML_ATTRIBUTE, "Role_Okta", OKTA) is None


def test_posture_profiles_and_trusted_networks_use_their_own_id_keys(
    catalogue: Catalogue,
) -> None:
    """Rules name a posture profile by `posture_udid` and a network by `networkId`."""
    udid = "ad3b2d8d-4b3f-4a4a-8f0e-6a1f2c3d4e5f"
    assert catalogue.name(Kind.POSTURE_PROFILE, udid) == "CrowdStrike running"
    assert catalogue.name(Kind.POSTURE_PROFILE, "216196257331292100") is None
    network = "c7b4d4c6-2f1a-4e6b-9d3c-8a7b6c5d4e3f"
    assert catalogue.id_of(Kind.TRUSTED_NETWORK, "HQ") == network
    assert catalogue.name(Kind.TRUSTED_NETWORK, "216196257331292200") is None


def test_alternative_id_keys(tmp_path: Path) -> None:
    """`postureUdid` and `network_id` are read as well."""
    write(tmp_path, "posture-profiles.json", '[{"postureUdid": "u-1", "name": "EDR"}]')
    write(tmp_path, "trusted-networks.json", '[{"network_id": "n-1", "name": "HQ"}]')
    catalogue = Catalogue.load(tmp_path)
    assert catalogue.id_of(Kind.POSTURE_PROFILE, "EDR") == "u-1"
    assert catalogue.id_of(Kind.TRUSTED_NETWORK, "HQ") == "n-1"


def test_idps_with(catalogue: Catalogue) -> None:
    """The IdPs that have a per-IdP object of a name, in catalogue order."""
    assert catalogue.idps_with(Kind.SCIM_ATTRIBUTE, "department") == [OKTA, ENTRA]
    assert catalogue.idps_with(Kind.SCIM_ATTRIBUTE, "Department") == [OKTA, ENTRA]
    assert catalogue.idps_with(Kind.SCIM_ATTRIBUTE, "userType") == [OKTA]
    assert catalogue.idps_with(Kind.SAML_ATTRIBUTE, "department") == [OKTA, ENTRA]
    assert catalogue.idps_with(Kind.SAML_ATTRIBUTE, "Department") == []
    assert catalogue.idps_with(Kind.SCIM_GROUP, "Finance") == [ENTRA]
    assert catalogue.idps_with(Kind.SCIM_GROUP, "Nobody") == []


def test_a_page_and_a_plain_list_read_the_same(tmp_path: Path) -> None:
    page = tmp_path / "page"
    plain = tmp_path / "plain"
    page.mkdir()
    plain.mkdir()
    write(page, "idps.json", '{"totalPages": "1", "list": [{"id": 7, "name": "Okta"}]}')
    write(plain, "idps.json", '[{"id": "7", "name": "Okta"}]')
    assert Catalogue.load(page) == Catalogue.load(plain)
    assert Catalogue.load(page).entries == {Kind.IDP: (Entry("7", "Okta"),)}


def test_an_empty_page_is_an_empty_kind(tmp_path: Path) -> None:
    """ZPA answers a page with no objects without `list`."""
    write(tmp_path, "idps.json", '{"totalPages": "0", "totalCount": "0"}')
    assert Catalogue.load(tmp_path).entries == {Kind.IDP: ()}


def test_a_missing_file_is_an_empty_kind(tmp_path: Path) -> None:
    write(tmp_path, "idps.json", '[{"id": "1", "name": "Okta"}]')
    catalogue = Catalogue.load(tmp_path)
    assert set(catalogue.entries) == {Kind.IDP}
    assert catalogue.names(Kind.APPLICATION) == []
    assert catalogue.name(Kind.APPLICATION, "1") is None
    assert catalogue.idps_with(Kind.SCIM_ATTRIBUTE, "department") == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert Catalogue.load(empty).entries == {}


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no catalogue folder at"):
        Catalogue.load(tmp_path / "nowhere")
    file = write(tmp_path, "idps.json", "[]")
    with pytest.raises(FileNotFoundError):
        Catalogue.load(file)


def test_a_file_that_is_not_json(tmp_path: Path) -> None:
    """The error names the file and points at the position."""
    path = write(tmp_path, "applications.json", '[\n  {"id": "1", "name": "Git"},\n]')
    with pytest.raises(DataFileError) as caught:
        Catalogue.load(tmp_path)
    error = caught.value
    assert error.origin == str(path)
    assert error.message == "expecting value"
    assert (error.lineno, error.colno) == (3, 1)


@pytest.mark.parametrize(
    "text",
    [
        '"Okta"',
        "42",
        "null",
        '{"list": {"id": "1", "name": "Okta"}}',
        '{"id": "1", "name": "Okta"}',
    ],
)
def test_a_file_that_is_not_a_list(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "idps.json", text)
    with pytest.raises(DataFileError) as caught:
        Catalogue.load(tmp_path)
    assert caught.value.origin == str(path)
    assert caught.value.message == (
        'expected a JSON list of objects or a ZPA page {"list": [...]}'
    )


def test_an_entry_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "applications.json", '[{"id": "1", "name": "Git"}, "CI"]')
    with pytest.raises(DataFileError) as caught:
        Catalogue.load(tmp_path)
    assert caught.value.origin == str(path)
    assert caught.value.message == "list[1]: expected an object"


@pytest.mark.parametrize(
    "entry",
    [
        '{"name": "CI"}',
        '{"id": "2"}',
        '{"id": "2", "name": ""}',
        '{"id": null, "name": "CI"}',
        '{"id": true, "name": "CI"}',
        '{"id": "2", "name": 7}',
    ],
)
def test_an_entry_without_id_or_name(tmp_path: Path, entry: str) -> None:
    """The error names the file and the entry's index in the list."""
    text = f'{{"list": [{{"id": "1", "name": "Git"}}, {entry}]}}'
    path = write(tmp_path, "applications.json", text)
    with pytest.raises(DataFileError) as caught:
        Catalogue.load(tmp_path)
    assert caught.value.origin == str(path)
    assert caught.value.message == "list[1]: a applications entry needs `id` and `name`"


@pytest.mark.parametrize(
    ("file", "entry", "keys"),
    [
        (
            "posture-profiles.json",
            '{"id": "1", "name": "EDR"}',
            "`posture_udid` and `name`",
        ),
        (
            "trusted-networks.json",
            '{"id": "1", "name": "HQ"}',
            "`networkId` and `name`",
        ),
        (
            "saml-attributes.json",
            '{"id": "1", "name": "Role_Okta", "idpId": "9"}',
            "`id` and `samlName`",
        ),
    ],
)
def test_the_message_names_the_keys_of_the_kind(
    tmp_path: Path, file: str, entry: str, keys: str
) -> None:
    write(tmp_path, file, f"[{entry}]")
    with pytest.raises(DataFileError) as caught:
        Catalogue.load(tmp_path)
    assert caught.value.message.startswith("list[0]: ")
    assert caught.value.message.endswith(f"entry needs {keys}")


@pytest.mark.parametrize(
    "file", ["scim-attributes.json", "scim-groups.json", "saml-attributes.json"]
)
def test_a_per_idp_entry_without_idp_id(tmp_path: Path, file: str) -> None:
    entry = '{"id": "2", "name": "x", "samlName": "x"}'
    good = '{"id": "1", "name": "y", "samlName": "y", "idpId": "9"}'
    path = write(tmp_path, file, f"[{good}, {entry}]")
    with pytest.raises(DataFileError) as caught:
        Catalogue.load(tmp_path)
    assert caught.value.origin == str(path)
    assert caught.value.message == (
        f"list[1]: a {file.removesuffix('.json')} entry needs `idpId`"
    )


def test_build_takes_entries_by_kind_name() -> None:
    """`Catalogue.build` keys kinds by their Python names, for tests and tools."""
    catalogue = Catalogue.build(
        idp=[Entry("1", "Okta"), Entry("2", "Entra")],
        scim_attribute=[Entry("10", "department", "1"), Entry("20", "department", "2")],
        application=[Entry("100", "Git")],
    )
    assert catalogue.name(Kind.IDP, 2) == "Entra"
    assert catalogue.id_of(Kind.SCIM_ATTRIBUTE, "department", "2") == "20"
    assert catalogue.idps_with(Kind.SCIM_ATTRIBUTE, "department") == ["1", "2"]
    assert catalogue.id_of(Kind.APPLICATION, "Git") == "100"
    assert catalogue.entries[Kind.APPLICATION] == (Entry("100", "Git"),)
    assert Catalogue.build().entries == {}
    with pytest.raises(KeyError):
        Catalogue.build(applications=[])


def test_the_first_of_a_repeated_name_wins() -> None:
    """Two objects of one name: name → ID gives the first; both IDs have the name."""
    catalogue = Catalogue.build(application=[Entry("1", "Git"), Entry("2", "Git")])
    assert catalogue.id_of(Kind.APPLICATION, "Git") == "1"
    assert catalogue.name(Kind.APPLICATION, "2") == "Git"
