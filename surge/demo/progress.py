"""What the demo prints while it plays: one line per thing that happens, at the minute of
the run it happened, from the incidents' timelines (as surge wrote them), the simulated
world's story and the far side (what reached the people and systems, and their answers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from surge.demo.clock import DemoClock
from surge.runtime import Runtime
from surge.store.base import Store
from surge.store.records import Incident, TimelineEntry

WHO = 22  # the width of the "who" column
WIDTH = 140  # the longest "what" shown


@dataclass
class Progress:
    clock: DemoClock
    print: Callable[[str], None]
    mitigated_at: dict[int, float] = field(default_factory=dict)  # incident -> minute
    _after: dict[int, int] = field(default_factory=dict)  # incident -> last entry shown
    _story: list[tuple[float, str, str]] = field(default_factory=list)
    _pending: list[tuple[float, str, str]] = field(default_factory=list)

    def line(self, minute: float, who: str, what: str) -> None:
        self.print(f"{_clock(minute):>6}  {who:<{WHO}} {what}")

    def far_side(self, who: str, what: str) -> None:
        """What reached the far side: shown in time order with the timelines' lines."""
        self._pending.append((self.clock.minute(), f"  → {who}", what))

    def story(self, told: list[tuple[float, str, str]]) -> None:
        self._story = list(told)

    async def poll(self, store: Store) -> None:
        minute = self.clock.minute()
        while self._story and self._story[0][0] <= minute:
            at, scenario, text = self._story.pop(0)
            self._pending.append((at, f"[{scenario}]", text))
        for incident in await store.list_incidents():
            entries = await store.timeline(incident.id, self._after.get(incident.id, 0))
            for entry in entries:
                self._after[incident.id] = entry.id
                self._add(incident, entry)
        for line in sorted(self._pending, key=lambda item: item[0]):
            self.line(*line)
        self._pending.clear()

    def _add(self, incident: Incident, entry: TimelineEntry) -> None:
        minute = (entry.at - self.clock.start).total_seconds() / 60
        if entry.kind == "status" and entry.data.get("status") == "mitigated":
            self.mitigated_at.setdefault(incident.id, minute)
        text = describe(entry)
        if text:
            self._pending.append((minute, f"#{incident.id} {incident.playbook_id}", text))

    async def summary(self, runtime: Runtime) -> None:
        self.print("")
        self.print("what happened (minutes of the run):")
        for incident in sorted(await runtime.store.list_incidents(), key=lambda i: i.id):
            entries = await runtime.store.timeline(incident.id)
            self.print(f"  #{incident.id} {incident.playbook_id}: {self._times(incident, entries)}")
            pages = await runtime.store.pages(incident.id)
            kinds = [entry.kind for entry in entries]
            facts = [
                f"pages: {len(pages)} sent, {kinds.count('page.ack')} acknowledged",
                f"called in: {kinds.count('callin.accepted')}",
                f"rooms: {kinds.count('channel.opened')} opened, "
                f"{kinds.count('channel.closed')} closed",
            ]
            self.print(f"      {'; '.join(facts)}")

    def _times(self, incident: Incident, entries: list[TimelineEntry]) -> str:
        opened = (incident.created_at - self.clock.start).total_seconds() / 60
        parts = [f"opened at {_clock(opened)}"]
        for entry in entries:
            status = entry.data.get("status") if entry.kind == "status" else None
            if status in ("acknowledged", "mitigated", "resolved"):
                after = (entry.at - incident.created_at).total_seconds() / 60
                parts.append(f"{status} {_clock(after)} later")
        return ", ".join(parts) + f"; now {incident.status.value}"


# what the terminal shows of each timeline entry: the kinds that tell the story (the
# far side's lines already show what reached people and channels)
SHOWN = (
    "incident.opened",
    "status",
    "note",
    "page.level",
    "page.sent",
    "page.ack",
    "page.exhausted",
    "page.unreachable",
    "step.failed",
    "step.unknown",
    "plugin.error",
    "channel.opened",
    "channel.closed",
    "channel.failover",
    "hotline.opened",
    "hotline.closed",
)


def describe(entry: TimelineEntry) -> str:
    """The timeline entry as a line for the demo, or "" for the ones it leaves out."""
    if entry.kind not in SHOWN and not entry.kind.startswith(("callin.", "notice.", "banner.")):
        return ""
    text = " ".join(entry.message.split())  # a folded query on one line
    text = text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"
    return f"opened: {text}" if entry.kind == "incident.opened" else text


def _clock(minutes: float) -> str:
    whole = max(minutes, 0)
    return f"{int(whole)}:{int(whole * 60) % 60:02d}"
