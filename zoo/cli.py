"""The `zoo` command: argument parsing only; the work lives in `recipes/` and `zoo/`."""

import argparse
import sys

COMMANDS = ("train", "evaluate", "predict", "export", "compare", "demo")


def build_parser():
    parser = argparse.ArgumentParser(prog="zoo", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        subparsers.add_parser(command, help=f"{command} (lands with the recipes issue)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    print(
        f"zoo {args.command}: not yet. The recipes and the CLI land with the "
        "'Recipes and the zoo CLI' issue; the layers are usable today (see README)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
