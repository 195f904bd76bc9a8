"""glibc's malloc tuned for training: huge pages for large buffers, and freed memory kept for the next step.

Each training step allocates and frees the same large buffers (the logits of 2,048 positions over
8,192 tokens are 67 MB, and their gradients as much). By default glibc serves allocations above
32 MB (its largest mmap threshold) with fresh `mmap`ed memory, returns it to the kernel on `free`,
and the first write to each 4 KB page of the next one faults into the kernel again, which zeroes
it. Two sets of glibc tunables change that:

- `glibc.malloc.mmap_max=0` and a trim threshold of 1 TiB (`KEEP_FREED_MEMORY`): large blocks
  come from the heap and stay there when freed, so the next step reuses memory already mapped,
  as TensorFlow's and PyTorch's GPU allocators do. On a 2-core Xeon VM torch's system time in a
  gpt-small step fell from about 110 ms to 1 ms. The process keeps its peak memory until it ends.
- `glibc.malloc.hugetlb=1` (`HUGE_PAGES`, glibc 2.35 or later): malloc asks the kernel for
  transparent huge pages (`madvise`) on its memory, so a fresh buffer faults in 2 MB at a time.
  It matters where the kernel's THP mode is `madvise` (the common default); with `always` the
  kernel already uses them, with `never` nothing can.

glibc reads its tunables once, when a process starts. So the `zoo` command starts itself again
with them added to `GLIBC_TUNABLES` (`ZOO_MALLOC_TUNING=0` turns this off), and a program that
imports zoo gets them by starting with `GLIBC_TUNABLES` set as `with_malloc_tuning` sets it.
A tunable the user set already is left as it is.

Example:

    malloc_tuning_environment({"PATH": "/bin"}, mode="madvise", glibc=(2, 36))["GLIBC_TUNABLES"]
    # -> 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776:glibc.malloc.hugetlb=1'
"""

import os
import sys

KEEP_FREED_MEMORY = ("glibc.malloc.mmap_max=0", f"glibc.malloc.trim_threshold={1 << 40}")
HUGE_PAGES = "glibc.malloc.hugetlb=1"
TUNABLES = (*KEEP_FREED_MEMORY, HUGE_PAGES)
MINIMUM_GLIBC = (2, 26)  # the first glibc that reads GLIBC_TUNABLES
HUGE_PAGES_GLIBC = (2, 35)  # the first glibc with `glibc.malloc.hugetlb`
THP_MODE_PATH = "/sys/kernel/mm/transparent_hugepage/enabled"
THIS_MACHINE = "this machine's"  # default of `mode` and `glibc`: read them here


def transparent_huge_pages_mode(path=THP_MODE_PATH):
    """The kernel's THP mode, the bracketed word of `path` ("always", "madvise", "never"); None if unreadable."""
    try:
        with open(path) as file:
            words = file.read().split()
    except OSError:
        return None
    return next((word[1:-1] for word in words if word.startswith("[") and word.endswith("]")), None)


def glibc_version():
    """(major, minor) of the C library if it is glibc, else None (musl, macOS, Windows)."""
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
        return tuple(int(part) for part in version.split(".")[:2]) if name == "glibc" else None
    except (AttributeError, ValueError, OSError):
        return None


def _tunables(environ):
    return [tunable for tunable in environ.get("GLIBC_TUNABLES", "").split(":") if tunable]


def _name(tunable):
    return tunable.split("=", 1)[0]


def malloc_uses_huge_pages(environ=os.environ, mode=THIS_MACHINE):
    """Whether large allocations of a process started with `environ` get huge pages (tunable set, or THP always)."""
    mode = transparent_huge_pages_mode() if mode == THIS_MACHINE else mode
    return mode == "always" or (mode == "madvise" and HUGE_PAGES in _tunables(environ))


def malloc_keeps_freed_memory(environ=os.environ):
    """Whether a process started with `environ` keeps freed large blocks for reuse (`KEEP_FREED_MEMORY` set)."""
    return set(KEEP_FREED_MEMORY) <= set(_tunables(environ))


def malloc_tuning_environment(environ, mode=THIS_MACHINE, glibc=THIS_MACHINE):
    """`environ` with the tunables added that apply here and are not set yet; None if none is, or if refused.

    `ZOO_MALLOC_TUNING=0` refuses. `mode` (as `transparent_huge_pages_mode`) and `glibc` (as
    `glibc_version`) default to this machine's.
    """
    mode = transparent_huge_pages_mode() if mode == THIS_MACHINE else mode
    glibc = glibc_version() if glibc == THIS_MACHINE else glibc
    if environ.get("ZOO_MALLOC_TUNING") == "0" or glibc is None or glibc < MINIMUM_GLIBC:
        return None
    wanted = KEEP_FREED_MEMORY + ((HUGE_PAGES,) if mode == "madvise" and glibc >= HUGE_PAGES_GLIBC else ())
    present = {_name(tunable) for tunable in _tunables(environ)}
    missing = [tunable for tunable in wanted if _name(tunable) not in present]
    if not missing:
        return None
    return dict(environ, GLIBC_TUNABLES=":".join(_tunables(environ) + missing))


def with_malloc_tuning(environ, enabled):
    """`environ` whose `GLIBC_TUNABLES` has all of `TUNABLES` (`enabled`) or none of them, other tunables kept.

    Off sets `glibc.malloc.hugetlb=0`, so a process is compared with glibc's defaults.
    Example: `with_malloc_tuning({}, False)` is `{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}`.
    """
    ours = {_name(tunable) for tunable in TUNABLES}
    kept = [tunable for tunable in _tunables(environ) if _name(tunable) not in ours]
    return dict(environ, GLIBC_TUNABLES=":".join(kept + (list(TUNABLES) if enabled else ["glibc.malloc.hugetlb=0"])))


def restart_with_malloc_tuning():
    """Replaces this process by the same command with the tunables set, where that would change anything.

    Call it first thing in a program's entry point: the process restarts from the beginning.
    """
    environ = malloc_tuning_environment(os.environ)
    if environ is None or not sys.executable:  # no interpreter path to start again (embedded Python)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, environ)
