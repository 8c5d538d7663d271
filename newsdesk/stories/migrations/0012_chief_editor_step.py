"""The opinion review's "Chief editor approval" step becomes a desk approval task.

Chief editors work on every desk, so who may approve is unchanged; what changes is
that this step, the one whose approval publishes an opinion piece, refuses to
publish a story that fails the checks before publishing, as the desk step does.
Reviews waiting at the step, or sent back from it, move to the new task.
"""

from django.db import migrations

STEP = "Chief editor approval"
REPLACED = f"{STEP} (replaced)"


def replace_step(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    DeskApprovalTask = apps.get_model("stories.DeskApprovalTask")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    TaskState = apps.get_model("wagtailcore.TaskState")
    old = GroupApprovalTask.objects.filter(name=STEP, active=True).first()
    if old is None:
        return
    content_type, _ = ContentType.objects.get_or_create(
        app_label="stories", model="deskapprovaltask"
    )
    new = DeskApprovalTask.objects.create(
        name=STEP, content_type=content_type, active=True
    )
    new.groups.set(old.groups.all())
    WorkflowTask.objects.filter(task_id=old.pk).update(task_id=new.pk)
    # Reviews waiting at the step, or sent back from it (resubmitting resumes
    # there), go on with the new task.
    TaskState.objects.filter(
        task_id=old.pk, workflow_state__status__in=("in_progress", "needs_changes")
    ).update(task_id=new.pk)
    old.active = False
    old.name = REPLACED
    old.save(update_fields=["active", "name"])


def restore_step(apps, schema_editor):
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    DeskApprovalTask = apps.get_model("stories.DeskApprovalTask")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    TaskState = apps.get_model("wagtailcore.TaskState")
    old = GroupApprovalTask.objects.filter(name=REPLACED).first()
    new = DeskApprovalTask.objects.filter(name=STEP).first()
    if old is None or new is None:
        return
    WorkflowTask.objects.filter(task_id=new.pk).update(task_id=old.pk)
    TaskState.objects.filter(task_id=new.pk).update(task_id=old.pk)
    old.active, old.name = True, STEP
    old.save(update_fields=["active", "name"])
    new.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("stories", "0011_story_event_review_kinds"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(replace_step, restore_step)]
