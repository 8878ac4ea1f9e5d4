"""How a contact is masked where more people may read it than need it."""

from __future__ import annotations

import pytest

from surge.customers.records import mask_contact
from surge.redact import Redactor


@pytest.mark.parametrize(
    ("contact", "shown"),
    [
        ("13812345678", "*******5678"),
        ("+86 138 1234 5678", "*************5678"),
        ("ann.lee@example.com", "a***@example.com"),
        ("@weibo_user", "@***"),
        ("微信 wxid_abc", "微***"),
        ("  ", ""),
        ("", ""),
    ],
)
def test_mask_contact(contact: str, shown: str) -> None:
    assert mask_contact(contact) == shown


def test_a_contact_under_any_key_ending_in_contact_is_masked_like_a_secret() -> None:
    value = {"contact": "138", "customer_contact": "x", "contacts": ["kept"], "note": "kept"}
    assert Redactor().value(value) == {
        "contact": "***",
        "customer_contact": "***",
        "contacts": ["kept"],
        "note": "kept",
    }
