"""Transparent huge pages for the large buffers of training, through glibc's `glibc.malloc.hugetlb` tunable.

Each training step allocates and frees buffers of tens of MB (the logits of 2,048 positions over
8,192 tokens are 67 MB). glibc serves allocations above 32 MB (its largest mmap threshold) with
fresh `mmap`ed memory, and the first write to each 4 KB page of it faults into the kernel: on a
2-core Xeon VM, writing a fresh 67 MB buffer took 16 ms, and 4 ms with huge pages. With the
tunable `glibc.malloc.hugetlb=1` (glibc 2.35 or later) malloc asks the kernel for transparent huge
pages (`madvise`) on that memory. It matters where the system's THP mode is `madvise` (the
common default); with `always` the kernel already uses them, with `never` nothing can.

glibc reads its tunables once, when a process starts. So the `zoo` command starts itself again
with the tunable added to `GLIBC_TUNABLES` (`ZOO_HUGE_PAGES=0` turns this off), and a program that
imports zoo gets it by starting with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` in its environment.

Example:

>>> huge_pages_environment({"PATH": "/bin"}, mode="madvise", glibc=(2, 36))
{'PATH': '/bin', 'GLIBC_TUNABLES': 'glibc.malloc.hugetlb=1'}
"""

import os
import sys

TUNABLE = "glibc.malloc.hugetlb=1"
THP_MODE_PATH = "/sys/kernel/mm/transparent_hugepage/enabled"
MINIMUM_GLIBC = (2, 35)  # the first glibc with `glibc.malloc.hugetlb`
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


def malloc_uses_huge_pages(environ=os.environ, mode=THIS_MACHINE):
    """Whether large allocations of a process started with `environ` get huge pages (tunable set, or THP always)."""
    mode = transparent_huge_pages_mode() if mode == THIS_MACHINE else mode
    return mode == "always" or (mode == "madvise" and TUNABLE in environ.get("GLIBC_TUNABLES", "").split(":"))


def huge_pages_environment(environ, mode=THIS_MACHINE, glibc=THIS_MACHINE):
    """`environ` with the tunable added, or None where it would change nothing or `ZOO_HUGE_PAGES=0` refuses it.

    `mode` (as `transparent_huge_pages_mode`) and `glibc` (as `glibc_version`) default to this machine's.
    """
    mode = transparent_huge_pages_mode() if mode == THIS_MACHINE else mode
    glibc = glibc_version() if glibc == THIS_MACHINE else glibc
    if (environ.get("ZOO_HUGE_PAGES") == "0" or mode != "madvise" or glibc is None or glibc < MINIMUM_GLIBC
            or "glibc.malloc.hugetlb=" in environ.get("GLIBC_TUNABLES", "")):
        return None
    return with_malloc_huge_pages(environ, True)


def with_malloc_huge_pages(environ, enabled):
    """`environ` whose `GLIBC_TUNABLES` sets `glibc.malloc.hugetlb` to 1 (`enabled`) or 0, other tunables kept.

    Example: `with_malloc_huge_pages({}, False)` is `{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}`.
    """
    tunables = [tunable for tunable in environ.get("GLIBC_TUNABLES", "").split(":")
                if tunable and not tunable.startswith("glibc.malloc.hugetlb=")]
    tunables.append(TUNABLE if enabled else "glibc.malloc.hugetlb=0")
    return dict(environ, GLIBC_TUNABLES=":".join(tunables))


def restart_with_huge_pages():
    """Replaces this process by the same command with the tunable set, where that would change anything.

    Call it first thing in a program's entry point: the process restarts from the beginning.
    """
    environ = huge_pages_environment(os.environ)
    if environ is None or not sys.executable:  # no interpreter path to start again (embedded Python)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, environ)
