"""Signals for writes that bypass model saves (bulk inserts), so other apps can follow them."""

from django.dispatch import Signal

# Sent inside the writing transaction with session_id and teacher_ids whose check-ins were just
# inserted in bulk (checkins_bulk_record): no post_save was sent for them.
checkins_bulk_recorded = Signal()
