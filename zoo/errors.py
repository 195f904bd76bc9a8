"""The errors that mean "the input is wrong", not "the code is wrong".

Every error a user can fix (a bad flag, data file, model folder, argument or resource limit) is a
`UserError`: the `zoo` command prints its message on one line and exits with status 2. Anything
else is a bug and keeps its traceback. Both are `ValueError`s, so library callers that catch
`ValueError` keep working.

Example:

    raise LoadError(f"{path}: 80 MB, above the 16 MB cap on a model config; is this a zoo model folder?")
"""

import errno
import re


class UserError(ValueError):
    """Input the user can fix; the message names the file (and line) or flag and what to do."""


class ConfigError(UserError):
    """A bad setting (flag, config file or a combination of them)."""


class LoadError(UserError):
    """A saved model, tokenizer or `.keras` file that is refused: damaged, hostile or over a size cap."""


def one_line(error):
    """The message of a user error on one line: an `OSError` as "path: reason" (e.g. "data: Is a directory").

    A full disk says so and what to do, whether it comes as `OSError(ENOSPC)` or from h5py, whose
    message spans lines and holds the file name and errno in its text.
    """
    if isinstance(error, MemoryError):
        return "out of memory; use a smaller --batch-size, --seq-len or model size."
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and (error.errno == errno.ENOSPC or "errno = 28," in text):
        named = re.search(r"filename = '([^']*)'", text)
        where = error.filename or (named.group(1) if named else "a file")
        return (
            f"{where}: No space left on device. Free some space and run the same command again: a run "
            "resumes from its last checkpoint."
        )
    if isinstance(error, OSError) and error.strerror:
        where = error.filename if error.filename is not None else "a file"
        return " ".join(f"{where}: {error.strerror}.".split())
    return text
