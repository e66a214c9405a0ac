"""Tests of the local Microsoft Graph emulator (one per documented behaviour)."""
