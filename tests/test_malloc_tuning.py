import os
import subprocess
import sys

import pytest

from zoo.malloc_tuning import (
    HUGE_PAGES,
    HUGE_PAGES_GLIBC,
    KEEP_FREED_MEMORY,
    MINIMUM_GLIBC,
    TUNABLES,
    glibc_version,
    malloc_keeps_freed_memory,
    malloc_tuning_environment,
    malloc_uses_huge_pages,
    transparent_huge_pages_mode,
    with_malloc_tuning,
)

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

KEEP = ":".join(KEEP_FREED_MEMORY)
ALL = ":".join(TUNABLES)

# Writes 64 MB from C's malloc (numpy madvises its own large arrays, so it would not tell), frees
# it, and writes 64 MB again. Prints GLIBC_TUNABLES, the process's huge-page-backed anonymous
# memory in kB after the first write, and the page faults of the second allocation and write.
PROBE = """
import ctypes, os, resource

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
size = 64 << 20
pointer = libc.malloc(size)
ctypes.memset(pointer, 1, size)
line = next(line for line in open("/proc/self/smaps_rollup") if line.startswith("AnonHugePages"))
libc.free(pointer)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
ctypes.memset(libc.malloc(size), 1, size)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(os.environ.get("GLIBC_TUNABLES"), int(line.split()[1]), faults)
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


def test_environment_adds_the_tunables():
    environ = {"PATH": "/bin", "GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    assert malloc_tuning_environment(environ, mode="madvise", glibc=(2, 36)) == {
        "PATH": "/bin",
        "GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{ALL}",
    }
    assert environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"  # not modified in place


@pytest.mark.parametrize(
    "mode, glibc",
    [
        ("always", (2, 36)),  # the kernel already backs large allocations with huge pages
        ("never", (2, 36)),  # nothing can
        (None, (2, 36)),  # no THP
        ("madvise", (2, 34)),  # glibc without `glibc.malloc.hugetlb`
    ],
)
def test_environment_without_huge_pages_keeps_freed_memory(mode, glibc):
    assert malloc_tuning_environment({}, mode=mode, glibc=glibc) == {"GLIBC_TUNABLES": KEEP}


def test_environment_leaves_the_users_tunables():
    environ = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0:glibc.malloc.mmap_max=4"}
    assert malloc_tuning_environment(environ, mode="madvise", glibc=(2, 36)) == {
        "GLIBC_TUNABLES": f"glibc.malloc.hugetlb=0:glibc.malloc.mmap_max=4:{KEEP_FREED_MEMORY[1]}"
    }


@pytest.mark.parametrize(
    "environ, glibc",
    [
        ({}, None),  # not glibc
        ({}, (2, 25)),  # glibc without tunables
        ({"GLIBC_TUNABLES": ALL}, (2, 36)),  # already set: no second restart
        ({"GLIBC_TUNABLES": f"{KEEP}:glibc.malloc.hugetlb=0"}, (2, 36)),  # the user's own choices stand
        ({"ZOO_MALLOC_TUNING": "0"}, (2, 36)),
    ],
)
def test_environment_unchanged(environ, glibc):
    assert malloc_tuning_environment(environ, mode="madvise", glibc=glibc) is None


def test_with_malloc_tuning_replaces_the_settings():
    environ = {"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{HUGE_PAGES}:glibc.malloc.mmap_max=7", "PATH": "/bin"}
    assert with_malloc_tuning(environ, False) == {
        "GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0",
        "PATH": "/bin",
    }
    assert with_malloc_tuning(environ, True) == {"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{ALL}", "PATH": "/bin"}
    assert with_malloc_tuning({}, True) == {"GLIBC_TUNABLES": ALL}


def test_malloc_uses_huge_pages():
    assert malloc_uses_huge_pages({}, mode="always")
    assert malloc_uses_huge_pages({"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{HUGE_PAGES}"}, mode="madvise")
    assert not malloc_uses_huge_pages({}, mode="madvise")
    assert not malloc_uses_huge_pages({"GLIBC_TUNABLES": HUGE_PAGES}, mode="never")


def test_malloc_keeps_freed_memory():
    assert malloc_keeps_freed_memory({"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{KEEP}"})
    assert not malloc_keeps_freed_memory({"GLIBC_TUNABLES": KEEP_FREED_MEMORY[0]})
    assert not malloc_keeps_freed_memory({})


def _probe(restart, **environ):
    restart_line = "from zoo.malloc_tuning import restart_with_malloc_tuning; restart_with_malloc_tuning()\n"
    code = (restart_line if restart else "") + PROBE
    env = {key: value for key, value in os.environ.items() if key not in ("GLIBC_TUNABLES", "ZOO_MALLOC_TUNING")}
    completed = subprocess.run(
        [sys.executable, "-c", code], env={**env, **environ}, capture_output=True, text=True, check=True
    )
    tunables, huge_kb, faults = completed.stdout.split()
    return tunables, int(huge_kb), int(faults)


@pytest.mark.skipif((glibc_version() or (0, 0)) < MINIMUM_GLIBC, reason="needs glibc >= 2.26 (tunables)")
def test_restart_keeps_freed_memory_for_the_next_allocation():
    """After the restart a freed 64 MB block is reused without page faults.

    Without it, writing the next block faults in every page again: 16,384 of 4 KB, or 32 of 2 MB
    where the kernel's THP mode is `always`.
    """
    tunables, _, faults = _probe(restart=True)
    assert set(KEEP_FREED_MEMORY) <= set(tunables.split(":"))
    assert faults < 16
    for without in (_probe(restart=True, ZOO_MALLOC_TUNING="0"), _probe(restart=False)):
        assert without[0] == "None"
        assert without[2] >= 32


@pytest.mark.skipif(
    (glibc_version() or (0, 0)) < HUGE_PAGES_GLIBC or transparent_huge_pages_mode() != "madvise",
    reason="needs Linux with THP in madvise mode and glibc >= 2.35",
)
def test_restart_gives_malloc_huge_pages():
    """After the restart glibc backs a fresh 64 MB block with huge pages; without it, with none."""
    tunables, huge_kb, _ = _probe(restart=True)
    assert tunables == ALL
    assert huge_kb == pytest.approx(64 << 10, abs=8 << 10)
    for without in (_probe(restart=True, ZOO_MALLOC_TUNING="0"), _probe(restart=False)):
        assert without[:2] == ("None", 0)
