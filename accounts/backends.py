"""Sign in with an ID number, a mobile number or (staff) a username."""

from django.contrib.auth.backends import ModelBackend

from .models import User
from .selectors import user_by_identifier


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
