"""`python -m zoo.export RUN OUT [RUN OUT ...]`: the SavedModel export of finished runs, in this process.

`export_saved_model` runs this under the TensorFlow backend when it is called from another
backend. A user error prints one line, "zoo: error: ...", on stderr and exits with status 2.

Example:

    KERAS_BACKEND=tensorflow python -m zoo.export runs/classification-lstm-tiny exports/classifier
"""

import sys

from zoo.errors import UserError, one_line


def main(argv):
    if not argv or len(argv) % 2:
        print("usage: python -m zoo.export RUN OUT [RUN OUT ...]", file=sys.stderr)
        return 2
    from zoo.export.saved_model import export_saved_models

    try:
        print("\n".join(export_saved_models(list(zip(argv[::2], argv[1::2])))))
    except (UserError, OSError) as error:
        print(f"zoo: error: {one_line(error)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
