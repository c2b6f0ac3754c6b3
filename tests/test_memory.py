"""How sheets-sync asks the C allocator to give memory back."""

from __future__ import annotations

import pytest

from sheets_sync import memory


class _FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return 1


def test_large_blocks_get_a_fixed_mapping_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = _FakeLibc()
    monkeypatch.setattr(memory, "_libc", lambda: libc)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    memory.map_large_blocks()
    assert libc.calls == [(memory.M_MMAP_THRESHOLD, 1 << 20)]


def test_the_environment_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = _FakeLibc()
    monkeypatch.setattr(memory, "_libc", lambda: libc)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    memory.map_large_blocks()
    assert libc.calls == []


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    memory.map_large_blocks()  # no mallopt: nothing to call, nothing raised


def test_a_young_collection_leaves_old_objects_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    monkeypatch.setattr(memory.gc, "collect", lambda generation=2: collected.append(generation))
    memory.release_free_memory(generation=1)
    memory.release_free_memory()
    memory.release_free_memory(collect=False)
    assert collected == [1, 2]
