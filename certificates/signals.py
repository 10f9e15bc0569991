"""Signals for writes that bypass model saves (bulk inserts), so other apps can follow them."""

from django.dispatch import Signal

# Sent inside the issuing transaction with programme_id and teacher_ids whose certificates were just
# inserted in bulk (certificates_issue_completed): no post_save was sent for them.
certificates_bulk_issued = Signal()
