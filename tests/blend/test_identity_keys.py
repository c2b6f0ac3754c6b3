"""Normalisation of e-mails and company domains into identity keys."""

from __future__ import annotations

import pandas as pd
import pytest

from sheets_sync.identity import company_keys, normalise_domains, normalise_emails
from tests.blend.frames import canonical


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Jane.Doe@Acme.com ", "jane.doe@acme.com"),
        ("jane.doe+newsletter@acme.com", "jane.doe@acme.com"),
        ("Jane.Doe+x@GMAIL.com", "janedoe@gmail.com"),
        ("j.a.n.e@googlemail.com", "jane@gmail.com"),
        ("jane.doe@outlook.com", "jane.doe@outlook.com"),  # dots matter outside Gmail
        ("jane@sub.acme.co.uk", "jane@sub.acme.co.uk"),
        ("not-an-email", None),
        ("a@b@acme.com", None),
        ("+tag@acme.com", None),
        ("jane@localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_email_normalisation(raw, key) -> None:
    assert normalise_emails(pd.Series([raw], dtype=object)).iloc[0] == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/about", "acme.com"),
        ("http://WWW.acme.com.", "acme.com"),
        ("acme.com:8443/path?q=1#top", "acme.com"),
        ("https://user:secret@shop.acme.co.uk", "shop.acme.co.uk"),
        ("www2.acme.com", "acme.com"),
        ("n/a", None),
        ("Acme Inc", None),
        ("", None),
        (None, None),
    ],
)
def test_domain_normalisation(raw, key) -> None:
    assert normalise_domains(pd.Series([raw], dtype=object)).iloc[0] == key


def test_company_key_ignores_free_mail_and_falls_back_to_contact_domains() -> None:
    accounts = canonical(
        "accounts",
        "crm",
        [
            {"account_id": "crm:1", "domain": "https://www.Acme.com/about"},
            {"account_id": "crm:2", "domain": "gmail.com"},
            {"account_id": "crm:3"},
            {"account_id": "crm:4"},
        ],
    )
    created = "2026-01-01"
    leads = canonical(
        "leads",
        "crm",
        [
            {
                "lead_id": "crm:l1",
                "account_id": "crm:2",
                "email": "x@beta.io",
                "created_at": created,
            },
            {
                "lead_id": "crm:l2",
                "account_id": "crm:3",
                "email": "a@yahoo.com",
                "created_at": created,
            },
            {
                "lead_id": "crm:l3",
                "account_id": "crm:3",
                "email": "b@gamma.org",
                "created_at": created,
            },
            {
                "lead_id": "crm:l4",
                "account_id": "crm:3",
                "email": "c@delta.org",
                "created_at": created,
            },
            {
                "lead_id": "crm:l5",
                "account_id": "crm:3",
                "email": "d@Gamma.org",
                "created_at": created,
            },
            {
                "lead_id": "crm:l6",
                "account_id": "crm:4",
                "email": "e@hotmail.com",
                "created_at": created,
            },
        ],
    )
    keys = company_keys(accounts, leads).tolist()
    # crm:3 takes its most common company e-mail domain; crm:4 has only free mail.
    assert keys == ["acme.com", "beta.io", "gamma.org", None]


def test_company_key_without_leads_uses_domains_only() -> None:
    accounts = canonical("accounts", "crm", [{"account_id": "crm:1", "domain": "Beta.IO"}])
    assert company_keys(accounts).tolist() == ["beta.io"]
