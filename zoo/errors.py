"""The errors that mean "the input is wrong", not "the code is wrong".

Every error a user can fix (a bad flag, data file, model folder, argument or resource limit) is a
`UserError`: the `zoo` command prints its message on one line and exits with status 2. Anything
else is a bug and keeps its traceback. Both are `ValueError`s, so library callers that catch
`ValueError` keep working.

Example:

    raise LoadError(f"{path}: 80 MB, above the 16 MB cap on a model config; is this a zoo model folder?")
"""


class UserError(ValueError):
    """Input the user can fix; the message names the file (and line) or flag and what to do."""


class ConfigError(UserError):
    """A bad setting (flag, config file or a combination of them)."""


class LoadError(UserError):
    """A saved model, tokenizer or `.keras` file that is refused: damaged, hostile or over a size cap."""
