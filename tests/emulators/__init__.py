"""Loopback emulators of the vendor APIs sheets-sync talks to, for tests without the internet."""
