"""Completion rules, certificates, verification and credit hours (reads the other apps)."""
