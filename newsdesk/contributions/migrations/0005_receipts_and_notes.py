import secrets

import django.db.models.deletion
from django.db import migrations, models

import newsdesk.contributions.models


def give_tokens(apps, schema_editor):
    """Give every submission already received a status token of its own."""
    Submission = apps.get_model("contributions", "Submission")
    for submission in Submission.objects.filter(status_token__isnull=True):
        submission.status_token = secrets.token_urlsafe(24)
        submission.save(update_fields=["status_token"])


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0004_authentication_results"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="decision_note",
            field=models.TextField(blank=True, help_text="The editor's note to the writer when declining."),
        ),
        migrations.AddField(
            model_name="submission",
            name="status_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(give_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="submission",
            name="status_token",
            field=models.CharField(default=newsdesk.contributions.models.status_token, editable=False, help_text="The secret in the writer's private status address.", max_length=64, unique=True),
        ),
        migrations.AddField(
            model_name="submission",
            name="receipt_message_id",
            field=models.CharField(blank=True, db_index=True, help_text="The Message-ID of the receipt we sent; replies to it thread here.", max_length=998),
        ),
        migrations.AddField(
            model_name="submission",
            name="published_notice_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="submission",
            name="decline_notice_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="SubmissionNote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("from_writer", models.BooleanField(default=False)),
                ("author_name", models.CharField(blank=True, max_length=200)),
                ("body_html", models.TextField(help_text="Sanitised HTML.")),
                ("raw_message", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="note", to="contributions.rawmessage")),
                ("submission", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notes", to="contributions.submission")),
            ],
            options={
                "ordering": ("created_at", "pk"),
            },
        ),
    ]
