"""The newsroom's users: reporters, editors and administrators (contributors never log in)."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in to the newsroom."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
