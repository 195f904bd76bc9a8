"""Temporary files and folders written next to their destination, and the clean-up of stale ones.

Outputs are written under a temporary name and renamed into place, so a failure never leaves a
half-written file where a good one was. The temporary name holds the writer's process id
(`.exporting-<pid>-k3j2`): a writer killed with `kill -9` cannot remove its own, so the next
writer in that folder removes those whose process is gone.

Example:

    staging = make_staging_folder("exports", "exporting")   # exports/.exporting-4242-ab12cd
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

_STALE = re.compile(r"^\.(?P<kind>[a-z]+)-(?P<pid>\d+)-")


def _prefix(kind):
    return f".{kind}-{os.getpid()}-"


def _process_is_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale(folder, kind):
    """Removes the temporaries of `kind` in `folder` whose writing process no longer exists."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for item in folder.iterdir():
        match = _STALE.match(item.name)
        if match is None or match["kind"] != kind or _process_is_alive(int(match["pid"])):
            continue
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def make_staging_folder(parent, kind):
    """A new empty folder `parent/.<kind>-<pid>-XXXX`, after removing stale ones of dead processes."""
    os.makedirs(parent, exist_ok=True)
    remove_stale(parent, kind)
    return tempfile.mkdtemp(prefix=_prefix(kind), dir=parent)


def make_staging_file(parent, kind, suffix):
    """A new empty file `parent/.<kind>-<pid>-XXXX<suffix>` (closed), after removing stale ones."""
    os.makedirs(parent, exist_ok=True)
    remove_stale(parent, kind)
    descriptor, path = tempfile.mkstemp(prefix=_prefix(kind), suffix=suffix, dir=parent)
    os.close(descriptor)
    return path
