"""How Accord reads the signed-in person on each request."""

from django.contrib.auth.backends import ModelBackend

from alignment.roles import with_roles


class RolesBackend(ModelBackend):
    """Django's ModelBackend, reading the signed-in person's roles with the person: every page
    needs them, so a request makes one query for both instead of two."""

    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        user = with_roles(get_user_model()._default_manager).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
