"""The paging tables on every backend: escalations and pages kept once by their keys,
compare-and-set moves, answers taken once, fair-order memory, and waits woken early."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from store.conftest import NOW, incident, run

from surge.paging.records import Answer, Escalation, PageRecord, PageStatus
from surge.store.base import Store
from surge.store.records import RunStatus, TimelineEntry

LATER = NOW + timedelta(minutes=5)


def note(incident_id: int, kind: str) -> TimelineEntry:
    return TimelineEntry(incident_id, NOW, "paging", kind, kind)


async def escalation_of(store: Store) -> tuple[int, int, Escalation]:
    """An incident whose one step run started an escalation paging ann and 李雷."""
    created = await store.create_incident(incident(), [run("page")], [])
    [step] = await store.runs(created.id)
    fresh = Escalation(
        0, created.id, f"{created.id}:steps:page:1", "escalation", "sre", step.id, NOW, LATER,
        people=["ann", "李雷"], data={"script": "page-oncall"},
    )  # fmt: skip
    stored = await store.start_escalation(fresh, [note(created.id, "page.level")])
    return created.id, step.id, stored


def page_for(escalation: Escalation, person: str, method: int = 0) -> PageRecord:
    return PageRecord(
        0, escalation.id, escalation.incident_id, f"{escalation.key}:{person}:{method}", person,
        escalation.round, escalation.level, method, "email", f"{person}@example.com",
        PageStatus.SENDING, NOW,
    )  # fmt: skip


async def test_an_escalation_is_kept_once_by_its_key_and_moves_compare_and_set(store):
    incident_id, run_id, first = await escalation_of(store)
    assert first.id > 0 and first.run_id == run_id and first.people == ["ann", "李雷"]
    again = await store.start_escalation(replace(first, id=0, people=["bo"]), [])
    assert again == first  # a re-run of the step finds it, and writes nothing
    assert [e.kind for e in await store.timeline(incident_id)] == ["page.level"]

    moved = replace(first, level=1, people=["bo"], due_at=LATER + timedelta(minutes=5))
    assert await store.update_escalation(moved, (0, 0), [note(incident_id, "page.level")])
    assert not await store.update_escalation(replace(moved, level=2), (0, 0), [])  # stale
    assert await store.escalation(first.id) == moved
    ended = replace(moved, ended_at=LATER, outcome="exhausted")
    assert await store.update_escalation(ended, (0, 1), [])
    assert not await store.update_escalation(replace(ended, level=2), (0, 1), [])  # ended
    assert await store.escalations(incident_id) == [ended]
    assert await store.escalation(first.id + 100) is None


async def test_a_page_is_begun_once_finished_and_answered_once(store):
    incident_id, _, escalation = await escalation_of(store)
    page, fresh = await store.begin_page(page_for(escalation, "ann"), [note(incident_id, "page")])
    assert fresh and page.id > 0 and page.status is PageStatus.SENDING
    same, fresh = await store.begin_page(page_for(escalation, "ann"), [note(incident_id, "page")])
    assert not fresh and same == page  # a re-run does not send it again
    other, _ = await store.begin_page(page_for(escalation, "李雷"), [])

    await store.finish_page(page.id, PageStatus.SENT, LATER, "", [note(incident_id, "page.sent")])
    await store.finish_page(other.id, PageStatus.FAILED, LATER, "550 no such user", [])
    sent, failed = await store.pages(incident_id)
    assert (sent.status, sent.sent_at, failed.status) == (PageStatus.SENT, LATER, PageStatus.FAILED)
    assert failed.sent_at is None and failed.error == "550 no such user"

    answered = await store.answer_page(page.id, Answer.ACK, "link", LATER, [])
    assert answered is not None and (answered.answer, answered.answered_via) == ("ack", "link")
    assert await store.answer_page(page.id, Answer.DECLINE, "slack", LATER, []) is None
    acked = await store.escalation(escalation.id)
    assert acked is not None and (acked.acked_by, acked.acked_at) == ("ann", LATER)
    await store.answer_page(other.id, Answer.ACK, "link", LATER + timedelta(minutes=1), [])
    kept = await store.escalation(escalation.id)
    assert kept is not None and kept.acked_by == "ann"  # the first acknowledgement stays
    assert await store.page(page.id) == answered and await store.page(other.id + 100) is None
    kinds = [entry.kind for entry in await store.timeline(incident_id)]
    assert kinds == ["page.level", "page", "page.sent"]


async def test_who_was_called_last_is_remembered_per_person(store):
    assert await store.last_called() == {}
    await store.called(["ann", "李雷"], NOW)
    await store.called(["ann"], LATER)
    await store.called([], LATER)
    assert await store.last_called() == {"ann": LATER, "李雷": NOW}


async def test_an_answer_wakes_only_a_waiting_run_and_only_earlier(store):
    incident_id, run_id, _ = await escalation_of(store)
    [claimed] = await store.claim_due_runs("e", NOW, NOW + timedelta(seconds=5), 10)
    await store.wake_run(run_id, NOW)  # still running: nothing to wake
    assert await store.defer_run(claimed.id, "e", LATER, {"escalation": 1}, True, [], NOW)
    await store.wake_run(run_id, LATER + timedelta(minutes=1))  # later than due: no change
    [waiting] = await store.runs(incident_id)
    assert (waiting.status, waiting.due_at) == (RunStatus.WAITING, LATER)
    soon = NOW + timedelta(seconds=30)
    await store.wake_run(run_id, soon)
    [woken] = await store.runs(incident_id)
    assert woken.due_at == soon and woken.resume == {"escalation": 1}
