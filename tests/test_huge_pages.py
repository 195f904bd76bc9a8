import os
import subprocess
import sys

import pytest

from zoo.huge_pages import (
    MINIMUM_GLIBC,
    TUNABLE,
    glibc_version,
    huge_pages_environment,
    malloc_uses_huge_pages,
    transparent_huge_pages_mode,
    with_malloc_huge_pages,
)

# Writes 64 MB from C's malloc (numpy madvises its own large arrays, so it would not tell) and
# prints the process's huge-page-backed anonymous memory in kB.
PROBE = """
import ctypes, os
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
pointer = libc.malloc(64 << 20)
ctypes.memset(pointer, 1, 64 << 20)
line = next(line for line in open("/proc/self/smaps_rollup") if line.startswith("AnonHugePages"))
print(os.environ.get("GLIBC_TUNABLES"), int(line.split()[1]))
"""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("always [madvise] never\n", "madvise"),
        ("[always] madvise never\n", "always"),
        ("always madvise [never]", "never"),
    ],
)
def test_transparent_huge_pages_mode(text, expected, tmp_path):
    path = tmp_path / "enabled"
    path.write_text(text)
    assert transparent_huge_pages_mode(path) == expected


def test_transparent_huge_pages_mode_unreadable(tmp_path):
    assert transparent_huge_pages_mode(tmp_path / "missing") is None


def test_environment_adds_the_tunable():
    environ = {"PATH": "/bin", "GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    assert huge_pages_environment(environ, mode="madvise", glibc=(2, 36)) == {
        "PATH": "/bin", "GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{TUNABLE}"}
    assert environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"  # not modified in place


@pytest.mark.parametrize(
    "environ, mode, glibc",
    [
        ({}, "always", (2, 36)),  # the kernel already backs large allocations with huge pages
        ({}, "never", (2, 36)),  # nothing can
        ({}, None, (2, 36)),  # no THP (not Linux)
        ({}, "madvise", (2, 34)),  # glibc without the tunable
        ({}, "madvise", None),  # not glibc
        ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, "madvise", (2, 36)),  # the user's own choice stands
        ({"GLIBC_TUNABLES": TUNABLE}, "madvise", (2, 36)),  # already set: no second restart
        ({"ZOO_HUGE_PAGES": "0"}, "madvise", (2, 36)),
    ],
)
def test_environment_unchanged(environ, mode, glibc):
    assert huge_pages_environment(environ, mode=mode, glibc=glibc) is None


def test_with_malloc_huge_pages_replaces_the_setting():
    environ = {"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{TUNABLE}", "PATH": "/bin"}
    assert with_malloc_huge_pages(environ, False) == {
        "GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0", "PATH": "/bin"}
    assert with_malloc_huge_pages({}, True) == {"GLIBC_TUNABLES": TUNABLE}


def test_malloc_uses_huge_pages():
    assert malloc_uses_huge_pages({}, mode="always")
    assert malloc_uses_huge_pages({"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{TUNABLE}"}, mode="madvise")
    assert not malloc_uses_huge_pages({}, mode="madvise")
    assert not malloc_uses_huge_pages({"GLIBC_TUNABLES": TUNABLE}, mode="never")


def _probe(restart, **environ):
    restart_line = "from zoo.huge_pages import restart_with_huge_pages; restart_with_huge_pages()\n"
    code = (restart_line if restart else "") + PROBE
    env = {key: value for key, value in os.environ.items() if key not in ("GLIBC_TUNABLES", "ZOO_HUGE_PAGES")}
    completed = subprocess.run([sys.executable, "-c", code], env={**env, **environ}, capture_output=True, text=True,
                               check=True)
    tunables, huge_kb = completed.stdout.split()
    return tunables, int(huge_kb)


@pytest.mark.skipif(transparent_huge_pages_mode() != "madvise" or (glibc_version() or (0, 0)) < MINIMUM_GLIBC,
                    reason="needs Linux with THP in madvise mode and glibc >= 2.35")
def test_restart_gives_malloc_huge_pages():
    """The restarted process has the tunable, and glibc then backs a fresh 64 MB malloc with huge pages."""
    assert _probe(restart=True) == (TUNABLE, pytest.approx(64 << 10, abs=8 << 10))
    assert _probe(restart=True, ZOO_HUGE_PAGES="0") == ("None", 0)
    assert _probe(restart=False) == ("None", 0)
