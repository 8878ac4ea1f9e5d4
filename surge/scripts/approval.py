"""Approving response scripts: an approval pins the script's content hash, so a script
whose content changed afterwards cannot be used until someone approves it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from surge.scripts.model import Script
from surge.store.base import Store
from surge.store.records import Approval


class ApprovalState(StrEnum):
    APPROVED = "approved"
    CHANGED = "changed, needs re-approval"
    UNAPPROVED = "not approved"


class NotApproved(Exception):
    """The script may not be used: never approved, or changed since its approval."""


@dataclass(frozen=True)
class Standing:
    """A script's approval state, and the approval it rests on (the latest one)."""

    state: ApprovalState
    latest: Approval | None = None


def standing(script: Script, history: list[Approval]) -> Standing:
    """From the script's approval history (oldest first) and its current content."""
    mine = [approval for approval in history if approval.script_id == script.id]
    if not mine:
        return Standing(ApprovalState.UNAPPROVED)
    latest = mine[-1]
    if latest.sha256 != script.content_hash:
        return Standing(ApprovalState.CHANGED, latest)
    return Standing(ApprovalState.APPROVED, latest)


async def approve(
    store: Store,
    script: Script,
    by: str,
    at: datetime,
    note: str = "",
    *,
    two_person_rule: bool = False,
) -> Approval:
    """Approve the script's current content; the history keeps every earlier approval.

    With the two-person rule, the script must name its ``author`` (who last changed it)
    and the approver must be someone else."""
    if not by.strip():
        raise ValueError("say who approves: --by NAME")
    if two_person_rule and not script.author.strip():
        raise ValueError(
            f"the two-person rule is on: {script.source or script.id} must say "
            "who last changed it (author: NAME)"
        )
    if two_person_rule and by.strip().casefold() == script.author.strip().casefold():
        raise ValueError(
            f"the two-person rule is on: {by} wrote this version of "
            f"{script.id}, so someone else must approve it"
        )
    return await store.add_approval(Approval(script.id, script.content_hash, by, at, note))


async def require_approved(store: Store, script: Script) -> Approval:
    """The approval that lets the script be used now, or NotApproved saying why."""
    found = standing(script, await store.approvals(script.id))
    if found.state is ApprovalState.APPROVED and found.latest is not None:
        return found.latest
    if found.state is ApprovalState.CHANGED:
        who = found.latest.approved_by if found.latest else "someone"
        raise NotApproved(
            f"script {script.id!r} changed since {who} approved it; approve it again: "
            f"surge scripts approve {script.id} --by NAME"
        )
    raise NotApproved(
        f"script {script.id!r} is not approved; approve it: surge scripts approve {script.id} "
        "--by NAME"
    )
