"""Identity keys that recognise the same person or company across sources.

Two CRMs rarely share ids, so blending matches records on normalised contact data instead:

- a **person key** is the normalised e-mail address (:func:`normalise_emails`): trimmed,
  lower-cased, ``+tag`` removed from the local part, and for ``gmail.com`` / ``googlemail.com``
  the dots removed from the local part and the domain folded to ``gmail.com`` (Gmail ignores
  both; other providers do not, so the dots rule is applied to those two domains only);
- a **company key** is the normalised web domain (:func:`normalise_domains`): scheme, ``www.``,
  port, path, query and fragment removed, lower-cased. Free-mail providers
  (:data:`FREE_MAIL_DOMAINS`) never identify a company.

The Series functions normalise each distinct value once and return ``None`` where no key can
be derived, so that missing keys never match each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from sheets_sync.model import isin_strings

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
        "zoho.com",
        "qq.com",
        "163.com",
    }
)
"""Domains of public e-mail providers: an address there says nothing about the employer."""

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# A usable domain: labels of letters, digits and hyphens separated by dots, at least one dot.
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_USERINFO = re.compile(r"^[^/?#@]*@")  # user:password@ in front of a URL's host
_AFTER_HOST = re.compile(r"[/?#].*$", re.DOTALL)
_PORT = re.compile(r":\d*$")
_WWW = re.compile(r"^www\d*\.")


def _per_distinct(values: pd.Series, key: Callable[[str], str | None]) -> pd.Series:
    """Apply ``key`` once per distinct non-missing value and spread the result to every row.

    pandas string methods loop in Python anyway; factorising first means a column of repeated
    values (domains, shared mailboxes) costs one call per distinct value, in one pass.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.array([*(key(str(u)) for u in uniques), None], dtype=object)
    return pd.Series(results[codes], index=values.index, dtype=object)


def email_key(raw: str) -> str | None:
    """Return the person key of one e-mail address (see :func:`normalise_emails`)."""
    text = raw.strip().lower()
    if text.count("@") != 1:
        return None
    local, domain = text.split("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    if not local or not _DOMAIN.fullmatch(domain):
        return None
    return f"{local}@{domain}"


def domain_key(raw: str) -> str | None:
    """Return the bare domain of one domain or URL (see :func:`normalise_domains`)."""
    text = _SCHEME.sub("", raw.strip().lower())
    text = _AFTER_HOST.sub("", _USERINFO.sub("", text))
    text = _WWW.sub("", _PORT.sub("", text).rstrip("."))
    return text if _DOMAIN.fullmatch(text) else None


def normalise_emails(emails: pd.Series) -> pd.Series:
    """Return the person key of each e-mail address, ``None`` where it is blank or malformed.

    ``" John.Smith+news@GoogleMail.com "`` becomes ``"johnsmith@gmail.com"``;
    ``"j.smith+crm@acme.com"`` becomes ``"j.smith@acme.com"``. An address is malformed unless
    it has exactly one ``@``, a non-empty local part (before any ``+``) and a domain with at
    least one dot.
    """
    return _per_distinct(emails, email_key)


def email_domains(person_keys: pd.Series) -> pd.Series:
    """Return the domain part of normalised e-mail keys (``None`` where the key is missing)."""
    return _per_distinct(person_keys, lambda key: key.partition("@")[2] or None)


def normalise_domains(values: pd.Series) -> pd.Series:
    """Return the bare company domain of each value, ``None`` where there is none.

    Accepts domains and URLs: ``"https://www.Acme.com/about"``, ``"WWW.acme.com."`` and
    ``"acme.com:443"`` all become ``"acme.com"``. Values that do not look like a domain
    (no dot, spaces, ``n/a``) give ``None``.
    """
    return _per_distinct(values, domain_key)


def without_free_mail(domains: pd.Series) -> pd.Series:
    """Return ``domains`` with free-mail providers (gmail.com, outlook.com...) set to ``None``."""
    free = domains.isin(FREE_MAIL_DOMAINS)
    return domains.where(~free & domains.notna(), None)


def person_keys(leads: pd.DataFrame) -> pd.Series:
    """Return the person key of every lead: its normalised e-mail, or ``None``."""
    if "email" not in leads.columns:
        return pd.Series([None] * len(leads), index=leads.index, dtype=object)
    return normalise_emails(leads["email"])


def company_keys(accounts: pd.DataFrame, leads: pd.DataFrame | None = None) -> pd.Series:
    """Return the company key of every account.

    The key is the account's own ``domain`` (a domain or URL), unless it is missing, malformed
    or a free-mail provider. Such accounts fall back to the most common company e-mail domain
    among the leads whose ``account_id`` points at them (their ``person_key`` column when
    present, else their normalised ``email``) (ties go to the alphabetically first
    domain, so the result does not depend on row order). Accounts with neither get ``None``.
    """
    if "domain" in accounts.columns:
        own = without_free_mail(normalise_domains(accounts["domain"]))
    else:
        own = pd.Series([None] * len(accounts), index=accounts.index, dtype=object)
    if leads is None or leads.empty or "account_id" not in leads.columns:
        return own
    needs = own.isna()
    if not needs.any():
        return own
    # Only the leads of accounts without a usable domain matter; skip normalising the rest.
    wanted = leads[isin_strings(leads["account_id"], accounts["account_id"][needs])]
    fallback = _lead_domain_by_account(wanted)
    from_leads = accounts["account_id"].map(fallback)
    return own.where(~needs, from_leads).astype(object).where(lambda s: s.notna(), None)


def _lead_domain_by_account(leads: pd.DataFrame) -> pd.Series:
    """Map account id -> most common non-free e-mail domain of its leads."""
    keys = leads["person_key"] if "person_key" in leads.columns else person_keys(leads)
    domains = without_free_mail(email_domains(keys))
    pairs = pd.DataFrame({"account_id": leads["account_id"], "domain": domains}).dropna()
    if pairs.empty:
        return pd.Series(dtype=object)
    counts = pairs.value_counts(["account_id", "domain"]).reset_index(name="n")
    counts = counts.sort_values(["account_id", "n", "domain"], ascending=[True, False, True])
    best = counts.drop_duplicates("account_id", keep="first")
    return best.set_index("account_id")["domain"]
