"""Name search through the words of the names, on PostgreSQL only (docs/performance.md, "Name
search").

Matching each query word against every case's whole key with pg_trgm (`search_name %> word`)
rechecks every row the trigram index offers: for a common given name with a common father's name,
20,000 rows at a million cases, each compared twice, 200-300 ms. Here the comparison is made once
per distinct word instead of once per row:

- `cases_nameword` holds every word of every key (cases and alternate names), with a trigram
  index: the words near a query word are found among tens of thousands of words, not a million
  keys (`cases_name_words_near`);
- a GIN index on the words of each key (`string_to_array(search_name, ' ')`) then gives the rows
  holding one of those words, exactly (an array overlap is not rechecked);
- triggers add the words of every key written, by any writer (the ORM, COPY, SQL by hand): a
  statement trigger on INSERT (one statement per bulk insert or COPY) and a row trigger when a
  key changes. The words are inserted in order, so that two writers adding the same new words
  cannot deadlock on them. A word no key holds any more finds nobody; the nightly
  cases.tasks.name_words_prune_task takes it out.
"""

from django.db import migrations

WORDS = "cases_nameword"
TABLES = ("cases_case", "cases_alternatename")

CREATE = [
    f"CREATE TABLE IF NOT EXISTS {WORDS} (word text PRIMARY KEY)",
    f"CREATE INDEX IF NOT EXISTS {WORDS}_word_trgm ON {WORDS} USING gin (word gin_trgm_ops)",
    # The words near a query word. The settings hold for the function's own query: at tens of
    # thousands of words the planner prefers reading them all (10 ms at 14,000 words) to the
    # trigram index (under 4 ms), and the gap grows with the words.
    f"""
    CREATE OR REPLACE FUNCTION cases_name_words_near(query text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
    AS $$ SELECT coalesce(array_agg(word), '{{}}') FROM {WORDS} WHERE word %> query $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION cases_name_words_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {WORDS} (word)
        SELECT DISTINCT word FROM inserted, unnest(string_to_array(inserted.search_name, ' ')) word
         WHERE word <> '' ORDER BY word
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION cases_name_words_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {WORDS} (word)
        SELECT DISTINCT word FROM unnest(string_to_array(NEW.search_name, ' ')) word
         WHERE word <> '' ORDER BY word
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
]
for _table in TABLES:
    CREATE += [
        f"CREATE INDEX IF NOT EXISTS {_table}_search_words ON {_table} "
        "USING gin (string_to_array(search_name, ' '))",
        f"""
        CREATE TRIGGER {_table}_name_words_inserted AFTER INSERT ON {_table}
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
        EXECUTE FUNCTION cases_name_words_inserted()
        """,
        f"""
        CREATE TRIGGER {_table}_name_words_changed AFTER UPDATE OF search_name ON {_table}
        FOR EACH ROW WHEN (OLD.search_name IS DISTINCT FROM NEW.search_name)
        EXECUTE FUNCTION cases_name_words_changed()
        """,
    ]
# The words of the keys already there.
CREATE.append(
    f"""
    INSERT INTO {WORDS} (word)
    SELECT DISTINCT word FROM (
        SELECT unnest(string_to_array(search_name, ' ')) FROM cases_case
        UNION ALL
        SELECT unnest(string_to_array(search_name, ' ')) FROM cases_alternatename
    ) AS words (word)
    WHERE word <> '' ORDER BY word
    ON CONFLICT DO NOTHING
    """
)

DROP = [
    statement
    for table in TABLES
    for statement in (
        f"DROP TRIGGER IF EXISTS {table}_name_words_inserted ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_name_words_changed ON {table}",
        f"DROP INDEX IF EXISTS {table}_search_words",
    )
] + [
    "DROP FUNCTION IF EXISTS cases_name_words_near(text)",
    "DROP FUNCTION IF EXISTS cases_name_words_inserted()",
    "DROP FUNCTION IF EXISTS cases_name_words_changed()",
    f"DROP TABLE IF EXISTS {WORDS}",
]


def create_name_words(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A cursor without parameters: schema_editor.execute would read `%>` as a placeholder.
    with schema_editor.connection.cursor() as cursor:
        for statement in CREATE:
            cursor.execute(statement)


def drop_name_words(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_case_number_c_collation")]

    operations = [migrations.RunPython(create_name_words, drop_name_words)]
