"""Who manages partners: chief editors and administrators add and change partners
(their keys and webhook secrets with them) and read the webhook delivery log.
Administrators, who may do everything, get every syndication permission; the roles
migration could give them only the permissions that existed before this app."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CHIEF_EDITORS = "Chief editors"
ADMINISTRATORS = "Administrators"

CHIEF_EDITOR_PERMISSIONS = [
    "add_partner",
    "change_partner",
    "view_partner",
    "view_delivery",
]


def _create_syndication_permissions(apps):
    # Permissions are normally created after all migrations; create them now.
    config = apps.get_app_config("syndication")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None


def grant(apps, schema_editor):
    _create_syndication_permissions(apps)
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    syndication = Permission.objects.filter(content_type__app_label="syndication")
    chiefs = Group.objects.filter(name=CHIEF_EDITORS).first()
    if chiefs is not None:
        chiefs.permissions.add(
            *syndication.filter(codename__in=CHIEF_EDITOR_PERMISSIONS)
        )
    administrators = Group.objects.filter(name=ADMINISTRATORS).first()
    if administrators is not None:
        administrators.permissions.add(*syndication)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    syndication = Permission.objects.filter(content_type__app_label="syndication")
    for group in Group.objects.filter(name__in=(CHIEF_EDITORS, ADMINISTRATORS)):
        group.permissions.remove(*syndication)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_newsroom_roles"),
        ("syndication", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
