"""Identity keys that recognise the same person or company across sources.

Two CRMs rarely share ids, so blending matches records on normalised contact data instead:

- a **person key** is the normalised e-mail address (:func:`normalise_emails`): trimmed,
  lower-cased, ``+tag`` removed from the local part, and for ``gmail.com`` / ``googlemail.com``
  the dots removed from the local part and the domain folded to ``gmail.com`` (Gmail ignores
  both; other providers do not, so the dots rule is applied to those two domains only);
- a **company key** is the normalised web domain (:func:`normalise_domains`): scheme, ``www.``,
  port, path, query and fragment removed, lower-cased. Free-mail providers
  (:data:`FREE_MAIL_DOMAINS`) never identify a company.

Every function works on whole pandas Series (vectorised string operations) and returns ``None``
where no key can be derived, so that missing keys never match each other.
"""

from __future__ import annotations

import pandas as pd

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

_GMAIL_DOMAINS = ("gmail.com", "googlemail.com")
# A usable domain: labels of letters, digits and hyphens separated by dots, at least one dot.
_DOMAIN_RE = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"


def _as_text(values: pd.Series) -> pd.Series:
    """Return ``values`` as a trimmed, lower-cased ``string`` Series, blanks as missing."""
    text = values.astype("string").str.strip().str.lower()
    return text.mask(text == "")


def _to_object(values: pd.Series) -> pd.Series:
    """Return a ``string`` Series as Python strings with ``None`` for missing values."""
    return values.astype(object).where(values.notna(), None)


def normalise_emails(emails: pd.Series) -> pd.Series:
    """Return the person key of each e-mail address, ``None`` where it is blank or malformed.

    ``" John.Smith+news@GoogleMail.com "`` becomes ``"johnsmith@gmail.com"``;
    ``"j.smith+crm@acme.com"`` becomes ``"j.smith@acme.com"``. An address is malformed unless
    it has exactly one ``@``, a non-empty local part and a domain with at least one dot.
    """
    text = _as_text(emails)
    parts = text.str.split("@", n=1, expand=True, regex=False)
    if parts.shape[1] < 2:
        return pd.Series([None] * len(emails), index=emails.index, dtype=object)
    local = parts[0].str.split("+", n=1, regex=False).str[0]
    domain = parts[1]
    gmail = domain.isin(_GMAIL_DOMAINS).fillna(False).astype(bool)
    local = local.mask(gmail, local.str.replace(".", "", regex=False))
    domain = domain.mask(gmail, "gmail.com")
    valid = (
        ((text.str.count("@") == 1) & (local.str.len() > 0) & domain.str.fullmatch(_DOMAIN_RE))
        .fillna(False)
        .astype(bool)
    )
    keys = (local + "@" + domain).where(valid)
    return _to_object(keys)


def email_domains(person_keys: pd.Series) -> pd.Series:
    """Return the domain part of normalised e-mail keys (``None`` where the key is missing)."""
    text = person_keys.astype("string")
    return _to_object(text.str.split("@", n=1, regex=False).str[1])


def normalise_domains(values: pd.Series) -> pd.Series:
    """Return the bare company domain of each value, ``None`` where there is none.

    Accepts domains and URLs: ``"https://www.Acme.com/about"``, ``"WWW.acme.com."`` and
    ``"acme.com:443"`` all become ``"acme.com"``. Values that do not look like a domain
    (no dot, spaces, ``n/a``) give ``None``.
    """
    text = _as_text(values)
    text = text.str.replace(r"^[a-z][a-z0-9+.-]*://", "", regex=True)
    text = text.str.replace(r"^[^/?#@]*@", "", regex=True)  # user:password@ of a URL
    text = text.str.replace(r"[/?#].*$", "", regex=True)
    text = text.str.replace(r":\d*$", "", regex=True)
    text = text.str.rstrip(".").str.replace(r"^www\d*\.", "", regex=True)
    valid = text.str.fullmatch(_DOMAIN_RE).fillna(False).astype(bool)
    return _to_object(text.where(valid))


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
    among the leads whose ``account_id`` points at them (ties go to the alphabetically first
    domain, so the result does not depend on row order). Accounts with neither get ``None``.
    """
    if "domain" in accounts.columns:
        own = without_free_mail(normalise_domains(accounts["domain"]))
    else:
        own = pd.Series([None] * len(accounts), index=accounts.index, dtype=object)
    if leads is None or leads.empty or not {"account_id", "email"} <= set(leads.columns):
        return own
    needs = own.isna()
    if not needs.any():
        return own
    fallback = _lead_domain_by_account(leads)
    from_leads = accounts["account_id"].map(fallback)
    return own.where(~needs, from_leads).astype(object).where(lambda s: s.notna(), None)


def _lead_domain_by_account(leads: pd.DataFrame) -> pd.Series:
    """Map account id -> most common non-free e-mail domain of its leads."""
    domains = without_free_mail(email_domains(normalise_emails(leads["email"])))
    pairs = pd.DataFrame({"account_id": leads["account_id"], "domain": domains}).dropna()
    if pairs.empty:
        return pd.Series(dtype=object)
    counts = pairs.value_counts(["account_id", "domain"]).reset_index(name="n")
    counts = counts.sort_values(["account_id", "n", "domain"], ascending=[True, False, True])
    best = counts.drop_duplicates("account_id", keep="first")
    return best.set_index("account_id")["domain"]
