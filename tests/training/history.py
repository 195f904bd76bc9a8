"""Reading a run's `history.csv` in the training tests."""

import csv


def logged(run, *columns):
    """One tuple of floats per validation row of `run/history.csv`: the values of `columns`.

    Example: `logged(run, "loss", "val_loss")` is `[(0.69, 0.68), (0.65, 0.66), ...]`.
    """
    with open(run / "history.csv") as f:
        return [tuple(float(row[column]) for column in columns) for row in csv.DictReader(f)]
