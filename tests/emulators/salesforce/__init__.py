"""A loopback Salesforce API emulator for connector tests and benchmarks."""

from tests.emulators.salesforce.org import Org
from tests.emulators.salesforce.server import SalesforceEmulator

__all__ = ["Org", "SalesforceEmulator"]
