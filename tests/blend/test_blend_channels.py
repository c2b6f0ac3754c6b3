"""Channel aliases between spend, leads and deals, and unattributable channels."""

from __future__ import annotations

import pytest

from sheets_sync.blend import blend
from sheets_sync.errors import ConfigError
from tests.blend.frames import result

D = "2026-03-01"


def _sources():
    ads = result(
        "ads",
        spend=[
            {"spend_id": "ads:1", "date": D, "channel": "Google Ads", "cost": 100},
            {"spend_id": "ads:2", "date": D, "channel": " paid_search ", "cost": 50},
            {"spend_id": "ads:3", "date": D, "channel": "TV", "cost": 20},
            {"spend_id": "ads:4", "date": D, "channel": "email", "cost": 5},
        ],
    )
    crm = result(
        "crm",
        leads=[
            {"lead_id": "crm:1", "channel": "Paid Search", "created_at": D},
            {"lead_id": "crm:2", "channel": "Email", "created_at": D},
            {"lead_id": "crm:3", "channel": "Email", "created_at": D},
            {"lead_id": "crm:4", "channel": "Referral", "created_at": D},
            {"lead_id": "crm:5", "created_at": D},
        ],
        deals=[
            {"deal_id": "crm:d1", "status": "won", "created_at": D, "lead_source": "GOOGLE ADS"},
        ],
    )
    return [("ads", ads), ("crm", crm)]


ALIASES = {"Google Ads": "Paid Search", "PAID_SEARCH": "Paid Search"}


def test_aliases_are_case_insensitive_and_apply_to_spend_leads_and_deals() -> None:
    dataset = blend(_sources(), channel_aliases=ALIASES)
    spend = dataset.table("spend")
    assert spend["channel"].tolist() == ["Paid Search", "Paid Search", "TV", "Email"]
    assert dataset.table("deals")["lead_source"].tolist() == ["Paid Search"]
    leads = dataset.table("leads")["channel"]
    assert leads.tolist()[:4] == ["Paid Search", "Email", "Email", "Referral"]
    assert leads.isna().tolist()[4]
    assert spend.groupby("channel", observed=True)["cost"].sum()["Paid Search"] == 150


def test_unmatched_channels_are_reported_as_info() -> None:
    dataset = blend(_sources(), channel_aliases=ALIASES)
    messages = {i.table: i for i in dataset.issues if i.column == "channel"}
    assert messages["spend"].count == 1 and messages["spend"].message.endswith(
        "TV; map them with channel_aliases"
    )
    assert messages["leads"].count == 1 and "Referral" in messages["leads"].message


def test_without_aliases_vendor_names_stay_unmatched_but_case_variants_fold() -> None:
    dataset = blend(_sources())
    # "Google Ads" (spend) and "GOOGLE ADS" (deals) tie on rows: the alphabetically first wins.
    assert dataset.table("spend")["channel"].tolist()[0] == "GOOGLE ADS"
    assert dataset.table("deals")["lead_source"].tolist() == ["GOOGLE ADS"]
    [spend_issue] = [i for i in dataset.issues if i.table == "spend"]
    assert spend_issue.count == 3
    assert spend_issue.message.endswith(
        "GOOGLE ADS, TV, paid_search; map them with channel_aliases"
    )


def test_no_spend_means_no_channel_issues() -> None:
    crm = result("crm", leads=[{"lead_id": "crm:1", "channel": "Web", "created_at": D}])
    assert [i for i in blend([("crm", crm)]).issues if i.column == "channel"] == []


def test_blank_alias_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="channel alias 'Google Ads'"):
        blend(_sources(), channel_aliases={"Google Ads": " "})
