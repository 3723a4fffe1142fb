"""The buttons beside a live run's Stop: Pause, Resume and Step one epoch (cnnviz.runs.pacing), and
the few words its progress bar adds while the run is held, so a lecturer can stop time mid-lesson."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.runs import RunStatus
from cnnviz.runs.pacing import PAUSED, STEPPING

PAUSE_HELP = "Holds the run before its next batch, curves and kernels as they are; Resume goes on."
RESUME_HELP = "Lets the paused run train on from where it stopped."
STEP_HELP = ("Trains to the end of this epoch (its test accuracy, kernels and confusion matrix drawn), "
             "then pauses again.")
PAUSED_NOTE = "paused: Resume, or Step one epoch"
STEPPING_NOTE = "finishing this epoch, then pausing"


@dataclass(frozen=True)
class PaceButton:
    """One button: its label, the RunManager method it calls ("pause", "resume" or "step_epoch"),
    and its help. All are secondary: Stop stays the row's one primary button."""

    label: str
    action: str
    help: str


def pace_buttons(status: RunStatus | None) -> tuple[PaceButton, ...]:
    """The pace buttons for a snapshot: none until the run trains, nor once it has ended or is stopping."""
    if status is None or status.state != "running" or status.stopping:
        return ()
    step = PaceButton("Step one epoch", "step_epoch", STEP_HELP)
    if status.pace == PAUSED:
        return PaceButton("Resume", "resume", RESUME_HELP), step
    if status.pace == STEPPING:
        return (PaceButton("Pause", "pause", PAUSE_HELP),)  # pause now, not at the epoch's end
    return PaceButton("Pause", "pause", PAUSE_HELP), step


def pace_note(status: RunStatus) -> str:
    """" - paused: ..." or " - finishing this epoch, then pausing" for the progress bar; "" while it runs."""
    note = {PAUSED: PAUSED_NOTE, STEPPING: STEPPING_NOTE}.get(status.pace if status.state == "running" else "")
    return f" - {note}" if note else ""
