"""The plumbing every HTTP source shares: stream selection, retry policy, raw record frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from connectors.base import Stream
from connectors.common.http import policy_for
from connectors.common.streams import records_frame, select_streams
from sheets_sync.errors import ConfigError

CATALOGUE = [
    ("Opportunity", Stream("opportunities", "deals", "Id", None, {"deal_id": "Id"})),
    ("Account", Stream("accounts", "accounts", "Id", None, {"account_id": "Id"})),
]


def test_no_wanted_list_selects_every_stream_in_catalogue_order():
    chosen = select_streams("salesforce", "sfdc", "objects", None, CATALOGUE, None)
    assert [s.name for s in chosen] == ["opportunities", "accounts"]


def test_wanted_names_select_by_their_user_facing_name_and_merge_custom_fields():
    custom = {"accounts": {"region": "Region__c"}}
    chosen = select_streams("salesforce", "sfdc", "objects", ["Account"], CATALOGUE, custom)
    assert [s.name for s in chosen] == ["accounts"]
    assert chosen[0].mapping == {"account_id": "Id", "region": "Region__c"}


def test_unknown_names_are_refused_naming_the_choices():
    with pytest.raises(ConfigError) as info:
        select_streams("dynamics", "d365", "entities", ["Widget", "Account"], CATALOGUE, None)
    assert str(info.value) == (
        "dynamics source 'd365': entities Widget are not supported; "
        "choose from Opportunity, Account"
    )


@dataclass(frozen=True)
class _Options:
    max_attempts: int = 4
    retry_base_delay: float = 0.5
    max_retry_after: float = 60.0
    timeout_seconds: float = 45.0


def test_policy_follows_the_retry_options():
    policy = policy_for(_Options())
    assert policy.max_attempts == 4 and policy.base_delay == 0.5
    assert policy.max_delay == 15.0 and policy.max_retry_after == 60.0
    assert policy.timeout == (10.0, 45.0)


def test_policy_bounds_backoff_below_and_short_timeouts_connect_within_them():
    policy = policy_for(_Options(retry_base_delay=0.0, timeout_seconds=4.0))
    assert policy.max_delay == 1.0
    assert policy.timeout == (4.0, 4.0)


def test_records_frame_keeps_exactly_the_fields_asked_for():
    frame = records_frame([{"Id": "1", "Extra": 3}, {"Id": "2", "Name": "b"}], ["Id", "Name"])
    assert list(frame.columns) == ["Id", "Name"]
    assert pd.isna(frame["Name"].iloc[0]) and frame["Name"].iloc[1] == "b"
    empty = records_frame([], ["Id", "Name"])
    assert list(empty.columns) == ["Id", "Name"] and len(empty) == 0
    assert all(dtype is np.dtype(object) for dtype in empty.dtypes)
