"""Signals for writes that bypass model saves (bulk inserts), so other apps can follow them."""

from django.dispatch import Signal

# Sent inside the writing transaction with programme_id, teacher_ids (their new enrolments were just
# inserted) and reactivated_ids (enrolment ids that were cancelled and are active again).
enrolments_bulk_created = Signal()
