"""QR check-in, manual marking and attendance reports (depends on courses)."""
