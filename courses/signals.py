"""Signals for writes that bypass model saves (bulk inserts), so other apps can follow them."""

from django.dispatch import Signal

# Sent inside the writing transaction with programme_id, teacher_ids (their new enrolments were just
# inserted), reactivated_ids (enrolment ids that were cancelled and are active again) and
# changed_teacher_ids (teachers whose details the import updated in bulk).
enrolments_bulk_created = Signal()
