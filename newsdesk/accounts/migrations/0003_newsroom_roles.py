"""The newsroom's roles as groups, and the agency's review workflows.

- Reporters write drafts and submit them for review.
- Desk editors edit any story, accept and decline submissions, keep contributor
  profiles, and approve (so publish) news; opinion they approve for the chief
  editor.
- Chief editors do all that, publish anything and give the second approval.
- Administrators may do everything, users and settings included.

Review: news goes through one approval (a desk editor or a chief editor) on every
section; "Opinion review" asks a desk editor, then a chief editor, and is assigned
to opinion and editorial sections under Settings -> Workflows. Wagtail's own
Moderators group (which may publish) approves in both, as a chief editor does.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REPORTERS = "Reporters"
DESK_EDITORS = "Desk editors"
CHIEF_EDITORS = "Chief editors"
ADMINISTRATORS = "Administrators"
MODERATORS = "Moderators"  # Wagtail's own publishing group

NEWSROOM = [("wagtailadmin", "access_admin")]
PEOPLE = [("stories", "view_person"), ("stories", "add_person"), ("stories", "change_person")]
QUEUE = [
    ("contributions", "view_submission"),
    ("contributions", "accept_submission"),
    ("contributions", "add_contributor"),
    ("contributions", "view_contributor"),
    ("contributions", "change_contributor"),
]
REDIRECTS = [
    ("wagtailredirects", "add_redirect"),
    ("wagtailredirects", "change_redirect"),
    ("wagtailredirects", "delete_redirect"),
]
ROLES = {
    REPORTERS: {
        "model": NEWSROOM + [("stories", "view_person")],
        "page": ["add_page"],
        "images": ["add_image", "choose_image"],
    },
    DESK_EDITORS: {
        "model": NEWSROOM + PEOPLE + QUEUE,
        # Wagtail publishes a story when its last review task is approved, as the
        # approver: so the desk editors, who give news its one approval, need the
        # publish permission. Where a second approval is needed, the newsroom lets
        # only its approvers publish (newsdesk.stories.wagtail_hooks).
        "page": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
        "images": ["add_image", "change_image", "choose_image"],
    },
    CHIEF_EDITORS: {
        "model": NEWSROOM + PEOPLE + QUEUE + REDIRECTS,
        "page": [
            "add_page",
            "change_page",
            "publish_page",
            "bulk_delete_page",
            "lock_page",
            "unlock_page",
        ],
        "images": ["add_image", "change_image", "choose_image", "delete_image"],
    },
}
PAGE_PERMISSIONS = [
    "add_page",
    "change_page",
    "publish_page",
    "bulk_delete_page",
    "lock_page",
    "unlock_page",
]


def _create_all_permissions(apps):
    # Permissions are normally created after all migrations; create them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None


def _permission(apps, app_label, codename):
    Permission = apps.get_model("auth.Permission")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _task(apps, name, groups):
    ContentType = apps.get_model("contenttypes.ContentType")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=name).first()
    if task is None:
        task = GroupApprovalTask.objects.create(
            name=name, content_type=content_type, active=True
        )
    task.groups.set(groups)
    return task


def _workflow(apps, name, tasks):
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    workflow, _ = Workflow.objects.get_or_create(name=name, defaults={"active": True})
    WorkflowTask.objects.filter(workflow=workflow).delete()
    for order, task in enumerate(tasks):
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
    return workflow


def create_roles(apps, schema_editor):
    _create_all_permissions(apps)
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    Page = apps.get_model("wagtailcore.Page")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")

    root_page = Page.objects.filter(depth=1).first()
    root_collection = Collection.objects.filter(depth=1).first()
    groups = {}
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        groups[name] = group
        group.permissions.add(
            *(_permission(apps, app, codename) for app, codename in grants["model"])
        )
        if root_page is not None:
            for codename in grants["page"]:
                GroupPagePermission.objects.get_or_create(
                    group=group,
                    page=root_page,
                    permission=_permission(apps, "wagtailcore", codename),
                )
        if root_collection is not None:
            for codename in grants["images"]:
                GroupCollectionPermission.objects.get_or_create(
                    group=group,
                    collection=root_collection,
                    permission=_permission(apps, "wagtailimages", codename),
                )
    administrators, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
    administrators.permissions.add(*Permission.objects.all())
    if root_page is not None:
        for codename in PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=administrators,
                page=root_page,
                permission=_permission(apps, "wagtailcore", codename),
            )
    if root_collection is not None:
        for permission in Permission.objects.filter(
            content_type__app_label__in=("wagtailimages", "wagtaildocs")
        ):
            GroupCollectionPermission.objects.get_or_create(
                group=administrators, collection=root_collection, permission=permission
            )

    approvers = [groups[DESK_EDITORS], groups[CHIEF_EDITORS], administrators]
    chiefs = [groups[CHIEF_EDITORS], administrators]
    moderators = Group.objects.filter(name=MODERATORS).first()
    if moderators is not None:
        approvers.append(moderators)
        chiefs.append(moderators)
    desk_approval = _task(apps, "Desk approval", approvers)
    chief_approval = _task(apps, "Chief editor approval", chiefs)
    news = _workflow(apps, "News review: one approval", [desk_approval])
    _workflow(apps, "Opinion review: desk, then chief editor", [desk_approval, chief_approval])
    if root_page is not None:
        WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": news})


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Workflow = apps.get_model("wagtailcore.Workflow")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    Workflow.objects.filter(
        name__in=("News review: one approval", "Opinion review: desk, then chief editor")
    ).delete()
    GroupApprovalTask.objects.filter(
        name__in=("Desk approval", "Chief editor approval")
    ).delete()
    Group.objects.filter(
        name__in=(REPORTERS, DESK_EDITORS, CHIEF_EDITORS, ADMINISTRATORS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_recovery_codes"),
        ("contributions", "0012_submission_desk"),
        ("stories", "0007_desks"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
