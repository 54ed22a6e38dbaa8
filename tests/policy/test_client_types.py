"""One definition of a client type name, shared by every input that takes one."""

from __future__ import annotations

import pytest

from scimpolicy.policy.facts import is_client_type


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("web_browser", True),
        ("Client_Connector", True),
        ("zpn_client_type_zapp", True),
        ("ZPN_CLIENT_TYPE_ZAPP", True),  # the Tenant folds these too
        ("browser", False),
        ("zpn_client_type_nope", False),
        ("", False),
    ],
)
def test_client_type_names(text: str, known: bool) -> None:
    assert is_client_type(text) is known
