"""The one error type of exporting, and the check that a run's task has a serving signature."""

from zoo.errors import UserError

# Tasks whose runs a SavedModel serves (`zoo.export.servables`); mlm runs are pre-training runs.
SERVED_TASKS = ("classification", "translation", "summarization", "clm")


class ExportError(UserError):
    """Raised with a message that names the run or path and what to do instead."""


def require_served_task(task):
    """An `ExportError` for a task the SavedModel has no signature for (a pre-training run)."""
    if task not in SERVED_TASKS:
        raise ExportError(
            f"A {task} run has no serving signature: it is a pre-training run. Fine-tune it "
            "(`zoo train classification --init-from RUN ...`) and export the fine-tuned run."
        )
