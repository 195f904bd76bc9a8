"""`plot_curves`: the training curves of a run's history as one PNG (matplotlib, no display).

`TrainingCurves` redraws a run's PNG only when its history has grown (a run draws after each
validation and again when it finishes; the second drawing is usually of the same history).
"""

import matplotlib

matplotlib.use("Agg")  # files only: never open a window, work without a display
import matplotlib.pyplot as plt  # noqa: E402

from zoo.training.run_directory import atomic_output  # noqa: E402


def plot_curves(history, path):
    """Draws `history` (rows of `history.csv`) into `path`: the losses, then each metric with its `val_` twin.

    Example: `plot_curves([{"step": 100, "loss": 2.1, "val_loss": 2.3}], "runs/demo/curves.png")`.
    """
    if not history:
        return None
    names = []
    for row in history:
        names += [name for name in row if name not in names]
    metrics = [
        name
        for name in names
        if not name.startswith("val_") and name not in ("epoch", "step", "elapsed_s", "learning_rate")
    ]
    panels = metrics + ["learning_rate"]
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.5), squeeze=False)
    steps = [row["step"] for row in history]
    for axis, name in zip(axes[0], panels):
        for series in (name, f"val_{name}"):
            values = [row.get(series) for row in history]
            if any(value is not None for value in values):
                axis.plot(
                    steps,
                    [float("nan") if value is None else value for value in values],
                    marker=".",
                    label="validation" if series.startswith("val_") else "train",
                )
        axis.set_title(name)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
        if name != "learning_rate":
            axis.legend()
    figure.tight_layout()
    try:
        with atomic_output(path) as temporary:
            figure.savefig(temporary, dpi=80)
    finally:
        plt.close(figure)
    return path


class TrainingCurves:
    """A run's `curves.png`, drawn by `plot_curves` unless the same history was drawn last.

    Example: `curves = TrainingCurves("runs/demo/curves.png"); curves.draw(state["history"])`.
    """

    def __init__(self, path):
        self.path = path
        self._rows_drawn = None

    def draw(self, history):
        if len(history) != self._rows_drawn:
            plot_curves(history, self.path)
            self._rows_drawn = len(history)
