"""A resumable experiment: a design's runs x replications, journalled as they finish.

    study = Study(design.runs, replications=30, seed=7, journal=Path("out.journal.jsonl"))
    experiment = study.run(executor)      # Ctrl-C raises Interrupted; the journal is kept
    ...write the outputs...
    study.finish()                        # the outputs are safe: drop the journal

With `resume=True` the finished runs found in the journal are reused, so an interrupted
experiment goes on where it stopped, with the same results as one never interrupted. Without
a journal nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..schema.scenario import Scenario
from .executors import UnorderedMap, in_process
from .experiment import Experiment, run_experiment, usable
from .journal import Batch, Journal, Key, read_journal


class ExperimentExists(InputError):
    """A journal of an interrupted experiment is where this one would write its own."""


class Interrupted(Exception):
    """The experiment was stopped (Ctrl-C); `kept` finished runs remain in the journal."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        super().__init__(f"interrupted with {kept} finished runs kept")


@dataclass
class Study:
    """Every run of `runs` (label -> scenario) x `replications` on root seed `seed`.

    `journal`: where to record finished runs (None: nowhere). `resume`: reuse the runs the
    journal holds; `restart`: overwrite a journal left by another experiment. Raises
    ExperimentExists for a journal left behind (unless `resume` or `restart`), JournalMismatch
    for one of another seed or version, ScenarioError for a file that cannot be a journal.
    """

    runs: dict[str, Scenario]
    replications: int
    seed: int
    journal: Path | None = None
    resume: bool = False
    restart: bool = False
    done: list[Batch] = field(init=False, default_factory=list)
    """Finished runs read from the journal, including runs no longer part of this study."""
    changed: list[str] = field(init=False, default_factory=list)
    """Labels whose scenario changed since the journal was written: they are run again."""

    def __post_init__(self) -> None:
        if self.replications < 1 or not self.runs:
            raise InputError("a study runs at least one scenario, at least once")
        self.seed = next(iter(self.runs.values())).root_seed(self.seed)  # checks it
        path = self.journal
        if path is None:
            return
        if path.exists() and not (self.resume or self.restart):
            raise ExperimentExists(
                f"{path} holds an interrupted experiment; resume it (--resume) or start again "
                "(--force)"
            )
        if self.resume and path.exists():
            done, self.changed = read_journal(path, self.seed, self.runs)
            self.done = usable(done)

    @property
    def total(self) -> int:
        """Runs in the study."""
        return len(self.runs) * self.replications

    @property
    def finished(self) -> set[Key]:
        """The finished runs the journal holds."""
        return {(b.variant, r) for b in self.done for r in b.replications}

    @property
    def reused(self) -> set[Key]:
        """The finished runs from the journal that this study uses."""
        return {k for k in self.finished if k[0] in self.runs and k[1] < self.replications}

    def run(
        self,
        executor: UnorderedMap = in_process,
        chunk: int | None = None,
        progress: Callable[[int], None] = lambda runs: None,
    ) -> Experiment:
        """Run what is not done yet on `executor`, in tasks of `chunk` replications (default:
        chosen from the runs and the workers), calling `progress` with the number of runs
        each batch finishes. On Ctrl-C the journal is closed (kept if it holds any finished
        run) and Interrupted is raised. OSError if it cannot be written."""
        journal: Journal | None = None

        def arrived(batch: Batch) -> None:
            if journal is not None:
                journal.record(batch)
            progress(len(batch.replications))

        try:
            if self.journal is not None:
                journal = Journal(self.journal, self.seed, self.runs, self.done)
            experiment = run_experiment(
                self.runs, self.replications, self.seed, executor, self.done, arrived, chunk
            )
        except KeyboardInterrupt:
            if self.journal is None:
                raise
            kept = len(self.finished) + (journal.entries if journal else 0)
            if journal is not None and not kept:
                journal.remove()
            raise Interrupted(kept) from None
        finally:
            if journal is not None:
                journal.close()
        return experiment

    def finish(self) -> None:
        """Delete the journal: the experiment's outputs are written."""
        if self.journal is not None:
            self.journal.unlink(missing_ok=True)
