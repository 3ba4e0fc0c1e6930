"""One publishing flow for every channel a month goes out on: the newsletter (a mail provider), the post
(a blog), the description (YouTube).

For each month: build it if stale (a month with errors is never sent);
read what the service holds; work out what would change and show it; ask
(``--yes`` answers for the user; without a terminal nothing is guessed);
back up what is there; write; record what was sent; one line for the month,
and one summary line for a run over several. A channel is a small adapter
(:class:`Channel`) that says how to read, compare, back up and write for
its service; everything else is here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from monthlypost.errors import MonthlypostError, Problem

if TYPE_CHECKING:
    from monthlypost.build import Outcome
    from monthlypost.workspace import Workspace

Confirm = Callable[[str, str], bool]  # (month, question) → go ahead?
Say = Callable[[str], None]

CREATE, UPDATE, UNCHANGED, HOLD = "create", "update", "unchanged", "hold"


@dataclass
class Result:
    """One month's outcome: what happened, what went wrong or is worth a look, and a detail for its line."""

    month: str
    status: str  # the channel's words: created, updated, pushed, unchanged, would …, skipped, failed, stopped…
    problems: list[Problem] = field(default_factory=list)
    detail: str = ""
    units: int = 0  # what it cost, where a service counts (YouTube's quota)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "changed") or any(p.severity == "error" for p in self.problems)


@dataclass
class Plan:
    """What a channel would do for a month, worked out from what the service holds now."""

    month: str
    action: str  # CREATE, UPDATE, UNCHANGED, or HOLD (not now: ``status`` says why, like the quota)
    show: str = ""  # what changes, shown before asking and in a dry run
    question: str = ""  # asked before writing; empty: nothing to ask (a new draft, an unchanged month)
    dry: str = ""  # shown only in a dry run
    status: str = ""  # for HOLD: the month's status
    problems: list[Problem] = field(default_factory=list)  # warnings the month's line carries
    data: Any = None  # whatever the channel needs to write


class Stop(MonthlypostError):
    """Nothing more can be sent in this run (YouTube's quota spent, the login refused): the months not yet
    done are 'stopped'. ``sent_nothing``: the run sent nothing, so this error alone is the answer."""

    def __init__(self, problems: list[Problem], sent_nothing: bool):
        super().__init__(problems)
        self.sent_nothing = sent_nothing


class Channel:
    """A service months are published to. Subclasses read, compare, back up and write; the flow does the
    rest. A write's result carries the channel's own word for it (a draft is "created", a description
    "pushed"); ``dry`` gives a dry run's."""

    name: ClassVar[str]
    dry: ClassVar[dict[str, str]] = {CREATE: "would create", UPDATE: "would update"}  # a dry run's statuses
    reports_builds: ClassVar[bool] = False  # a month built now gets a line of its own ("built"), with its warnings

    def prepare(self, outcomes: list[Outcome]) -> None:
        """Before any month is planned, with every month that will be (YouTube reads them 50 at a time)."""

    def plan(self, outcome: Outcome, say: Say) -> Plan:
        raise NotImplementedError

    def write(self, plan: Plan) -> Result:
        """Back up what the service holds, write, and record; the month's result."""
        raise NotImplementedError

    def unchanged(self, plan: Plan, dry_run: bool) -> Result:
        return Result(plan.month, "unchanged", list(plan.problems))

    def finish(self, result: Result, plan: Plan, dry_run: bool) -> None:
        """After a month's outcome is known, before it is reported (email push sends a test here)."""

    def note(self, results: list[Result]) -> str | None:
        """After every month: why some were left for later, if they were (YouTube's quota)."""
        return None

    def close(self) -> None:
        pass


def publish(
    workspace: Workspace,
    months: list[str],
    channel: Channel,
    dry_run: bool,
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
) -> tuple[list[Result], str | None]:
    """Every month through the flow; their results (each passed to ``done`` the moment it is known), and
    why the run stopped early, if it did."""
    from monthlypost.build import build

    results: list[Result] = []

    def finish(result: Result) -> None:
        results.append(result)
        done(result)

    outcomes = list(build(workspace, months))
    ready = [outcome for outcome in outcomes if outcome.status != "failed"]
    done_with = 0
    try:
        for outcome in outcomes:  # months built now, announced before any is sent
            if outcome.status == "built" and channel.reports_builds:
                finish(Result(outcome.month, "built", list(outcome.problems)))
        try:
            channel.prepare(ready)
            for outcome in outcomes:
                if outcome.status == "failed":
                    finish(Result(outcome.month, "failed", list(outcome.problems), "not built, so nothing was sent"))
                else:
                    result = carry_out(
                        channel,
                        outcome.month,
                        lambda say, outcome=outcome: channel.plan(outcome, say),
                        dry_run,
                        confirm,
                        say,
                    )
                    if not (outcome.status == "built" and channel.reports_builds):  # its warnings were said with it
                        result.problems[:0] = [p for p in outcome.problems if p not in result.problems]
                    finish(result)
                done_with += 1
        except Stop as err:
            if err.sent_nothing:
                raise  # nothing was sent: the error alone says it all
            for rest in outcomes[done_with:]:
                if rest.status != "failed":
                    finish(Result(rest.month, "stopped"))
            return results, str(err)  # each problem as 'FILE: what is wrong'
    finally:
        channel.close()
    return results, channel.note(results)


def carry_out(
    channel: Channel, month: str, planned: Callable[[Say], Plan], dry_run: bool, confirm: Confirm, say: Say
) -> Result:
    """One month (or one restore): plan, show, ask, write. A MonthlypostError is the month's failure."""
    try:
        plan = planned(say)
    except Stop:
        raise
    except MonthlypostError as err:
        return Result(month, "failed", err.problems)
    try:
        if plan.action == HOLD:
            return Result(plan.month, plan.status, list(plan.problems))
        if plan.action == UNCHANGED:
            result = channel.unchanged(plan, dry_run)
        else:
            if plan.show:
                say(plan.show)
            if dry_run:
                if plan.dry:
                    say(plan.dry)
                result = Result(plan.month, channel.dry[plan.action], list(plan.problems))
            elif plan.question and not confirm(plan.month, plan.question):
                result = Result(plan.month, "skipped", list(plan.problems))
            else:
                result = channel.write(plan)
                result.problems[:0] = [p for p in plan.problems if p not in result.problems]
        channel.finish(result, plan, dry_run)
        return result
    except Stop:
        raise
    except MonthlypostError as err:
        return Result(plan.month, "failed", [*plan.problems, *err.problems])


def counts(results: Iterable[Result], shown: Iterable[str], words: dict[str, str] | None = None) -> str:
    """'created 2, updated 1, unchanged 0, failed 1': each status in ``shown`` (and any other that
    happened), for a run over several months."""
    words = words or {}
    tally: dict[str, int] = {}
    for result in results:
        tally[result.status] = tally.get(result.status, 0) + 1
    order = [*shown, *(status for status in tally if status not in shown)]
    return ", ".join(f"{words.get(status, status)} {tally.get(status, 0)}" for status in dict.fromkeys(order))
