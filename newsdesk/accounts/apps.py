from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "newsdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import (
            user_logged_in,
            user_logged_out,
            user_login_failed,
        )
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from . import sign_in
        from .models import User

        user_login_failed.connect(
            sign_in.sign_in_failed, dispatch_uid="accounts.sign_in_failed"
        )
        user_logged_in.connect(sign_in.signed_in, dispatch_uid="accounts.signed_in")
        user_logged_out.connect(sign_in.signed_out, dispatch_uid="accounts.signed_out")
        m2m_changed.connect(
            sign_in.roles_changed,
            sender=User.groups.through,
            dispatch_uid="accounts.roles_changed",
        )
        m2m_changed.connect(
            sign_in.permissions_changed,
            sender=User.user_permissions.through,
            dispatch_uid="accounts.permissions_changed",
        )
        pre_save.connect(
            sign_in.superuser_remembered,
            sender=User,
            dispatch_uid="accounts.superuser_remembered",
        )
        post_save.connect(
            sign_in.superuser_changed,
            sender=User,
            dispatch_uid="accounts.superuser_changed",
        )
