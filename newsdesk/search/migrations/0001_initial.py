"""The reader search index, and each database's own full-text search over it.

SQLite: an external-content FTS5 table over search_indexedstory, with triggers that
keep it in step with every insert, update and delete of a row. PostgreSQL: a
generated tsvector column (english for English stories, simple for Dari, Pashto and
the rest) and a GIN index on it. Each runs only on its own database.
"""

import django.db.models.deletion
from django.db import migrations, models

from newsdesk.search.operations import RunSQLForVendor


FTS_COLUMNS = "title, standfirst, body, byline"
NEW_ROW = "new.story_id, new.title, new.standfirst, new.body, new.byline"
OLD_ROW = "old.story_id, old.title, old.standfirst, old.body, old.byline"

SQLITE_FORWARDS = [
    # porter: English words match their other forms; unicode61 folds case and
    # Latin diacritics for every script and splits Dari words at the ZWNJ.
    f"""CREATE VIRTUAL TABLE search_indexedstory_fts USING fts5(
        {FTS_COLUMNS},
        content='search_indexedstory', content_rowid='story_id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER search_indexedstory_fts_insert AFTER INSERT ON search_indexedstory
    BEGIN
        INSERT INTO search_indexedstory_fts(rowid, {FTS_COLUMNS}) VALUES ({NEW_ROW});
    END""",
    f"""CREATE TRIGGER search_indexedstory_fts_delete AFTER DELETE ON search_indexedstory
    BEGIN
        INSERT INTO search_indexedstory_fts(search_indexedstory_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', {OLD_ROW});
    END""",
    f"""CREATE TRIGGER search_indexedstory_fts_update AFTER UPDATE ON search_indexedstory
    BEGIN
        INSERT INTO search_indexedstory_fts(search_indexedstory_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', {OLD_ROW});
        INSERT INTO search_indexedstory_fts(rowid, {FTS_COLUMNS}) VALUES ({NEW_ROW});
    END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER search_indexedstory_fts_update",
    "DROP TRIGGER search_indexedstory_fts_delete",
    "DROP TRIGGER search_indexedstory_fts_insert",
    "DROP TABLE search_indexedstory_fts",
]

# newsdesk/search/backends/postgresql.py reads queries with the same choice. The
# text is plain: "<" is no tag, though the parser would read "<script>" as one.
CONFIG = "CASE WHEN language = 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END"
POSTGRESQL_FORWARDS = [
    f"""ALTER TABLE search_indexedstory ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector({CONFIG}, replace(title, '<', ' ')), 'A')
        || setweight(to_tsvector({CONFIG}, replace(standfirst, '<', ' ')), 'B')
        || setweight(to_tsvector({CONFIG}, replace(byline, '<', ' ')), 'B')
        || setweight(to_tsvector({CONFIG}, replace(body, '<', ' ')), 'D')
    ) STORED""",
    "CREATE INDEX search_indexedstory_vector ON search_indexedstory USING gin (search_vector)",
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX search_indexedstory_vector",
    "ALTER TABLE search_indexedstory DROP COLUMN search_vector",
]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('stories', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='IndexedStory',
            fields=[
                ('story', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='stories.storypage')),
                ('language', models.CharField(max_length=10)),
                ('title', models.TextField()),
                ('standfirst', models.TextField(blank=True)),
                ('body', models.TextField(blank=True, help_text="The body's text, without markup.")),
                ('byline', models.TextField(blank=True, help_text="The byline's names.")),
                ('first_published_at', models.DateTimeField(blank=True, null=True)),
                ('indexed_at', models.DateTimeField(auto_now=True)),
                ('section', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='stories.sectionpage')),
            ],
            options={
                'verbose_name': 'indexed story',
                'verbose_name_plural': 'indexed stories',
            },
        ),
        RunSQLForVendor("sqlite", SQLITE_FORWARDS, SQLITE_BACKWARDS),
        RunSQLForVendor("postgresql", POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    ]
