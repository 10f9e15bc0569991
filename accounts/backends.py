"""Sign in with an ID number, a mobile number or (staff) a username."""

from django.contrib.auth.backends import ModelBackend

from .models import User
from .selectors import user_by_identifier, user_by_pk


class IdentifierBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = user_by_identifier(identifier=username)
        if user is None:
            # Spend the same time as a real check so timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in session's user, as ModelBackend gives it (None when missing or inactive), read
        by a fixed statement: this runs on every signed-in request."""
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
