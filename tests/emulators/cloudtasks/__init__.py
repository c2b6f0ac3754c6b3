"""Emulator of the Cloud Tasks v2 REST API (see :mod:`.server`)."""

from tests.emulators.cloudtasks.server import CloudTasksEmulator

__all__ = ["CloudTasksEmulator"]
