"""Signals for writes that bypass model saves (bulk inserts), so other apps can follow them."""

from django.dispatch import Signal

# Sent inside the writing transaction with quiz_id and teacher_ids whose graded attempts were just
# inserted in bulk (attempts_bulk_record): no post_save was sent for them.
attempts_bulk_recorded = Signal()
