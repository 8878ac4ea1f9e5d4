"""Approval pins a script's content: a changed script is not used until approved again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from surge.scripts.approval import (
    ApprovalState,
    NotApproved,
    approve,
    require_approved,
    standing,
)
from surge.scripts.model import Script

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SCRIPT = Script(id="outage-initial", title="Outage", locales={"en": "Down."}, content_hash="a" * 64)


async def test_a_script_is_usable_only_while_its_approved_content_is_unchanged(make_runtime):
    runtime = await make_runtime(start=False)
    store = runtime.store
    assert standing(SCRIPT, await store.approvals()).state is ApprovalState.UNAPPROVED
    with pytest.raises(NotApproved, match="is not approved; approve it: surge scripts approve"):
        await require_approved(store, SCRIPT)
    approval = await approve(store, SCRIPT, "lee", NOW, "checked with legal")
    assert (await require_approved(store, SCRIPT)) == approval
    changed = replace(SCRIPT, content_hash="b" * 64)
    found = standing(changed, await store.approvals())
    assert found.state is ApprovalState.CHANGED
    assert found.state.value == "changed, needs re-approval"
    with pytest.raises(NotApproved, match="changed since lee approved it"):
        await require_approved(store, changed)
    await approve(store, changed, "kim", NOW)
    assert (await require_approved(store, changed)).approved_by == "kim"
    assert [a.approved_by for a in await store.approvals("outage-initial")] == ["lee", "kim"]


async def test_an_approval_names_who_gave_it(make_runtime):
    runtime = await make_runtime(start=False)
    with pytest.raises(ValueError, match="say who approves"):
        await approve(runtime.store, SCRIPT, " ", NOW)


async def test_the_two_person_rule_needs_an_author_and_another_approver(make_runtime):
    runtime = await make_runtime(start=False)
    store = runtime.store
    with pytest.raises(ValueError, match=r"must say who last changed it \(author: NAME\)"):
        await approve(store, SCRIPT, "lee", NOW, two_person_rule=True)
    written = replace(SCRIPT, author="Lee")
    with pytest.raises(ValueError, match="lee wrote this version"):
        await approve(store, written, "lee", NOW, two_person_rule=True)
    assert (await approve(store, written, "kim", NOW, two_person_rule=True)).approved_by == "kim"
    assert (await approve(store, SCRIPT, "lee", NOW)).approved_by == "lee"  # rule off
