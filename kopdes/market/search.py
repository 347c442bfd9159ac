"""Indonesian full-text search over listings.

Text is stemmed with Sastrawi when a listing is saved ("olahan" and "mengolah" both become
"olah"), and the query is stemmed the same way, so both databases search the same words.

The stemmed text is words of [0-9a-z] separated by single spaces, so both full-text engines cut it
into the same tokens: PostgreSQL's `simple` configuration over stored generated tsvectors
(`search_vector`, the name weighted A, the rest B; `search_name_vector`, the name; both
GIN-indexed, with the catalog's equality filters) and SQLite's FTS5 (`market_listing_search` over
both columns and `market_listing_search_name` over the name, each with the filters as words of
their own; contentless tables kept by triggers). Every query word must occur (AND), in the name or
the rest. One known difference, left as it is:
PostgreSQL's parser reads a word such as "3e5x" as the number "3e5" followed by "x"; product text
of that shape is not expected.

The vocabulary (`SearchTerm`) holds every stemmed word, for typo-tolerant suggestions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from functools import cache

_WORD = re.compile(r"[0-9a-z]+")

MAX_TERMS = 8  # words of a query that count; more only slow the search down
MAX_TERM_LENGTH = 40
FTS_TABLE = "market_listing_search"
FTS_NAME_TABLE = "market_listing_search_name"


@cache
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()  # a cached stemmer: each word is stemmed once


def stem_text(text: str) -> str:
    """Lower-cased, stemmed words of `text`, separated by single spaces."""
    words = _WORD.findall(text.lower())
    if not words:
        return ""
    stemmer = _stemmer()
    return " ".join(stemmer.stem(word) or word for word in words)


def query_terms(text: str) -> list[str]:
    """The stemmed words of a search query, each once, in order, at most MAX_TERMS."""
    terms: list[str] = []
    for term in stem_text(text or "").split():
        term = term[:MAX_TERM_LENGTH]
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


# --- Schema -------------------------------------------------------------------------------------
# Created by migration 0002_search. On SQLite, Django rebuilds a table to alter it and the rebuild
# loses triggers and indexes it does not know of, so `search_schema_ensure` runs after every
# migrate and puts them back (and rebuilds the index if the triggers were missing).

# The catalog's equality filters, in both GIN indexes beside the words (btree_gin): a search in a
# regency, a province, a category or a line, of halal or BPOM listings, is one index scan that
# intersects the word's postings with the filter's. With a B-tree for the filter beside a GIN
# index for the words, PostgreSQL built a bitmap of every listing with the word ("kopi": 148,000)
# to AND it with the regency's 1,900 (50 ms); and a filter that excluded most of them ("keripik"
# among drinks) read every matching row to find none (300 ms and more). The licences' flags are
# held as integers, the form the catalog's filters write them in on PostgreSQL (a boolean filter
# becomes the bare column, which no GIN operator class matches). Ranges (price, stars) stay
# filters on the rows: the planner does not take them from a GIN index. Migration 0011.
GIN_FILTERS = "category, line, province_code, regency_code, (has_halal::integer), (has_bpom::integer)"
POSTGRES_SCHEMA = [
    # A trusted extension (PostgreSQL 13 and later): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    """ALTER TABLE market_listing ADD COLUMN IF NOT EXISTS search_vector tsvector
       GENERATED ALWAYS AS (
         setweight(to_tsvector('simple'::regconfig, coalesce(search_name, '')), 'A')
         || setweight(to_tsvector('simple'::regconfig, coalesce(search_text, '')), 'B')
       ) STORED""",
    # GIN indexes gather new entries in a pending list that every search reads in full. A listing's
    # row is written again at each sale (its stock), so the list fills with sales: up to 4 MB, 2 ms
    # and more on every search. The names' index takes its few words at once (fastupdate off), the
    # whole text's keeps a short list (128 kB); see GIN_SETTINGS and migration 0006.
    f"""CREATE INDEX IF NOT EXISTS market_listing_search_idx ON market_listing
       USING gin (search_vector, {GIN_FILTERS}) WITH (gin_pending_list_limit = 128)""",
    # The name alone, to keep name matches among the candidates when a word matches very many
    # listings. A column of its own (not weights in search_vector, not an expression index) so
    # that the planner knows how often a word is in names, and never recomputes vectors in a scan.
    """ALTER TABLE market_listing ADD COLUMN IF NOT EXISTS search_name_vector tsvector
       GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(search_name, ''))) STORED""",
    f"""CREATE INDEX IF NOT EXISTS market_listing_search_names_idx ON market_listing
       USING gin (search_name_vector, {GIN_FILTERS}) WITH (fastupdate = off)""",
    "DROP INDEX IF EXISTS market_listing_search_name_idx",  # an expression index of an early draft
]
# The same settings for indexes made before them (migration 0006), then their pending lists moved
# into the index proper.
GIN_SETTINGS = [
    "ALTER INDEX market_listing_search_idx SET (gin_pending_list_limit = 128)",
    "ALTER INDEX market_listing_search_names_idx SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('market_listing_search_idx'::regclass),"
    " gin_clean_pending_list('market_listing_search_names_idx'::regclass)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS market_listing_search_names_idx",
    "DROP INDEX IF EXISTS market_listing_search_idx",
    "ALTER TABLE market_listing DROP COLUMN IF EXISTS search_name_vector",
    "ALTER TABLE market_listing DROP COLUMN IF EXISTS search_vector",
]
# SQLite's FTS5 has no index of a word together with a filter, as the GIN indexes have
# (`GIN_FILTERS`): it gave a word's listings, and each was read to see whether it passed the
# filters ("keripik" among drinks read all 99,000 listings with the word to find none: 213 ms).
# So the same equality filters are words of the index too, in a column of their own: "_c_beverage",
# "_l_ocop", "_p_35", "_r_35.04", "_halal", "_bpom" (`filter_tokens`). With '_' and '.' as parts of
# a word, each is one token; the stemmed text has neither, so its words are cut as before, and no
# query word can match a filter's. A search ANDs the words with its filters' tokens and the index
# intersects them: "keripik" among drinks 213 → 11 ms. The filters stay in the WHERE as well: the
# tokens only narrow what the index gives.
# Contentless (content=''): the filters' words are in no table for an external-content table to
# read back, and the index is only ever asked for rowids. The triggers give it the old values to
# delete ('delete' command), and a rebuild is 'delete-all' and the listings inserted again.
FILTERS_COLUMN = "search_filters"
_FILTERS_SQL = (
    "'_c_' || {row}.category || ' _l_' || {row}.line || ' _p_' || {row}.province_code"
    " || ' _r_' || {row}.regency_code || CASE WHEN {row}.has_halal THEN ' _halal' ELSE '' END"
    " || CASE WHEN {row}.has_bpom THEN ' _bpom' ELSE '' END"
)
_FILTERED_COLUMNS = "category, line, province_code, regency_code, has_halal, has_bpom"
_FTS_OPTIONS = "content='', tokenize=\"unicode61 tokenchars '_.'\", detail='none', columnsize=0"
SQLITE_TABLES = [
    # Every word of a listing, and the words of its name alone (name matches among many matches),
    # each with the filters' words. detail='none': rowids only, the smallest and fastest index; no
    # phrase or column queries.
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS market_listing_search USING fts5(
       search_name, search_text, {FILTERS_COLUMN}, {_FTS_OPTIONS})""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS market_listing_search_name USING fts5(
       search_name, {FILTERS_COLUMN}, {_FTS_OPTIONS})""",
]


def _fts_rows(row: str) -> tuple[str, str]:
    """The values of a listing (`row`: new, old or the table) for each full-text table."""
    filters = _FILTERS_SQL.format(row=row)
    return (
        f"{row}.id, {row}.search_name, {row}.search_text, {filters}",
        f"{row}.id, {row}.search_name, {filters}",
    )


_COLUMNS = (f"search_name, search_text, {FILTERS_COLUMN}", f"search_name, {FILTERS_COLUMN}")
_NEW, _OLD, _EVERY = _fts_rows("new"), _fts_rows("old"), _fts_rows("market_listing")
_INSERT = f"""INSERT INTO market_listing_search(rowid, {_COLUMNS[0]}) VALUES ({_NEW[0]});
       INSERT INTO market_listing_search_name(rowid, {_COLUMNS[1]}) VALUES ({_NEW[1]});"""  # noqa: S608
_DELETE = f"""INSERT INTO market_listing_search(market_listing_search, rowid, {_COLUMNS[0]})
       VALUES ('delete', {_OLD[0]});
       INSERT INTO market_listing_search_name(market_listing_search_name, rowid, {_COLUMNS[1]})
       VALUES ('delete', {_OLD[1]});"""  # noqa: S608  (constants)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS market_listing_search_ai AFTER INSERT ON market_listing"
    f" BEGIN {_INSERT} END",
    f"CREATE TRIGGER IF NOT EXISTS market_listing_search_ad AFTER DELETE ON market_listing"
    f" BEGIN {_DELETE} END",
    # Only when the words or the filters change: stock and price updates leave the index alone.
    f"CREATE TRIGGER IF NOT EXISTS market_listing_search_au AFTER UPDATE OF search_name, search_text,"
    f" {_FILTERED_COLUMNS} ON market_listing BEGIN {_DELETE} {_INSERT} END",
]
SQLITE_REBUILD = [
    *(f"INSERT INTO {table}({table}) VALUES ('delete-all')" for table in (FTS_TABLE, FTS_NAME_TABLE)),  # noqa: S608
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS[0]}) SELECT {_EVERY[0]} FROM market_listing",  # noqa: S608
    f"INSERT INTO {FTS_NAME_TABLE}(rowid, {_COLUMNS[1]}) SELECT {_EVERY[1]} FROM market_listing",  # noqa: S608
]


def filter_tokens(
    *, category: str = "", line: str = "", province: str = "", regency: str = "", halal=False, bpom=False
) -> list[str]:
    """The filters' words in SQLite's full-text index (`_FILTERS_SQL`) for these equality filters;
    a regency's alone, as the catalog filters by the regency alone when one is given."""
    wanted = {"_c_": category, "_l_": line, "_r_" if regency else "_p_": regency or province}
    tokens = [prefix + value for prefix, value in wanted.items() if value]
    return tokens + [name for name, on in (("_halal", halal), ("_bpom", bpom)) if on]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS market_listing_search_ai",
    "DROP TRIGGER IF EXISTS market_listing_search_ad",
    "DROP TRIGGER IF EXISTS market_listing_search_au",
    "DROP TABLE IF EXISTS market_listing_search",
    "DROP TABLE IF EXISTS market_listing_search_name",
]
# The single table with column filters of an early draft.
SQLITE_EARLY_DRAFT = [
    "DROP TRIGGER IF EXISTS market_listing_fts_ai",
    "DROP TRIGGER IF EXISTS market_listing_fts_ad",
    "DROP TRIGGER IF EXISTS market_listing_fts_au",
    "DROP TABLE IF EXISTS market_listing_fts",
]
# Browsing without words: featured listings first, the stars order with its tie-break (six values
# only, so ties are large), the newest of a region or category. Both databases; Django does not
# know these indexes (they are the search's own, with the search's migration).
SORT_INDEXES = [
    "CREATE INDEX IF NOT EXISTS market_listing_featured_newest_idx ON market_listing"
    " (sellable, featured_month, created_at DESC, id DESC)",
    "DROP INDEX IF EXISTS market_listing_featured_idx",  # of an early draft
    "CREATE INDEX IF NOT EXISTS market_listing_stars_id_idx ON market_listing"
    " (sellable, stars DESC, id DESC)",
    # The newest in a province, a regency or a category (the catalog's default order).
    "CREATE INDEX IF NOT EXISTS market_listing_province_newest_idx ON market_listing"
    " (sellable, province_code, created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS market_listing_regency_newest_idx ON market_listing"
    " (sellable, regency_code, created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS market_listing_category_newest_idx ON market_listing"
    " (sellable, category, created_at DESC, id DESC)",
    # A category by stars: SQLite, with no statistics, walked the stars of every listing for a
    # category of few (the best of "other": 750 ms at a million listings). By price: the
    # category's own index (listing_category_price_idx).
    "CREATE INDEX IF NOT EXISTS market_listing_category_stars_idx ON market_listing"
    " (sellable, category, stars DESC, id DESC)",
]
SORT_INDEXES_DROP = [
    "DROP INDEX IF EXISTS market_listing_featured_newest_idx",
    "DROP INDEX IF EXISTS market_listing_stars_id_idx",
    "DROP INDEX IF EXISTS market_listing_province_newest_idx",
    "DROP INDEX IF EXISTS market_listing_regency_newest_idx",
    "DROP INDEX IF EXISTS market_listing_category_newest_idx",
    "DROP INDEX IF EXISTS market_listing_category_stars_idx",
]

# --- The names' words (PostgreSQL) ----------------------------------------------------------------
# Each word of a sellable listing's name, with the columns a search ranks and sorts by, in a B-tree
# ordered by (word, listing): a word's listings, newest first, are one index-only range. A search
# without filters takes its candidates from here (`words_candidates_sql`): the first thousand of one
# word's range, or the ranges of several words joined. The GIN index of the names must build the
# bitmap of every match before the first row (13 ms for "tenun ikat", 31,518 names), and then read
# a thousand wide listing rows; this reads about as many narrow index entries as it keeps.
# Kept by triggers on market_listing in the transaction that changes the listing, like SQLite's
# FTS5 tables; a bulk load that bypasses them (session_replication_role = replica) ends with
# `words_rebuild`.

WORDS_TABLE = "market_listing_word"
WORDS_COLUMNS = "stars, featured_month, province_code, price, created_at"  # what a candidate carries
WORDS_KEY = f"CONSTRAINT {WORDS_TABLE}_pkey PRIMARY KEY (term, listing_id) INCLUDE ({WORDS_COLUMNS})"
# The listing's columns the words copy; an update of any other column leaves them alone.
_WORDS_SOURCE = ("sellable", "search_name", "stars", "featured_month", "province_code", "price", "created_at")
_WORDS_SELECT = """SELECT t, {row}.id, {row}.stars, {row}.featured_month, {row}.province_code,
       {row}.price, {row}.created_at FROM {source}unnest(tsvector_to_array({row}.search_name_vector)) AS t"""
POSTGRES_WORDS = [
    f"""CREATE TABLE IF NOT EXISTS {WORDS_TABLE} (
       term text NOT NULL, listing_id bigint NOT NULL, stars smallint NOT NULL, featured_month date,
       province_code varchar(2) NOT NULL, price bigint NOT NULL, created_at timestamptz NOT NULL,
       {WORDS_KEY})""",
    f"""CREATE OR REPLACE FUNCTION {WORDS_TABLE}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.sellable THEN
           DELETE FROM {WORDS_TABLE}
            WHERE term = ANY (tsvector_to_array(OLD.search_name_vector)) AND listing_id = OLD.id;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.sellable THEN
           INSERT INTO {WORDS_TABLE} {_WORDS_SELECT.format(row="NEW", source="")};
         END IF;
         RETURN NULL;
       END $$""",  # noqa: S608  (constants)
    f"""CREATE OR REPLACE FUNCTION {WORDS_TABLE}_clear() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN TRUNCATE {WORDS_TABLE}; RETURN NULL; END $$""",
    f"""CREATE OR REPLACE TRIGGER {WORDS_TABLE}_aid AFTER INSERT OR DELETE ON market_listing
       FOR EACH ROW EXECUTE FUNCTION {WORDS_TABLE}_sync()""",
    f"""CREATE OR REPLACE TRIGGER {WORDS_TABLE}_au AFTER UPDATE OF {", ".join(_WORDS_SOURCE)}
       ON market_listing FOR EACH ROW
       WHEN (({", ".join(f"OLD.{c}" for c in _WORDS_SOURCE)})
             IS DISTINCT FROM ({", ".join(f"NEW.{c}" for c in _WORDS_SOURCE)}))
       EXECUTE FUNCTION {WORDS_TABLE}_sync()""",
    # Django's flush (tests) and any TRUNCATE of the listings empty the words too.
    f"""CREATE OR REPLACE TRIGGER {WORDS_TABLE}_truncate AFTER TRUNCATE ON market_listing
       FOR EACH STATEMENT EXECUTE FUNCTION {WORDS_TABLE}_clear()""",
]
POSTGRES_WORDS_DROP = [
    f"DROP TRIGGER IF EXISTS {WORDS_TABLE}_aid ON market_listing",
    f"DROP TRIGGER IF EXISTS {WORDS_TABLE}_au ON market_listing",
    f"DROP TRIGGER IF EXISTS {WORDS_TABLE}_truncate ON market_listing",
    f"DROP FUNCTION IF EXISTS {WORDS_TABLE}_sync()",
    f"DROP FUNCTION IF EXISTS {WORDS_TABLE}_clear()",
    f"DROP TABLE IF EXISTS {WORDS_TABLE}",
]
WORDS_WINDOW = 20_000  # entries of each word read, at most, when several words are joined


def words_rebuild(connection) -> int:
    """Fill the names' words from every sellable listing at once (after a bulk load, and when the
    table is first made): the key is built after the rows, not row by row. Returns the rows.
    One transaction: the TRUNCATE's lock holds until the key is back, so a listing saved meanwhile
    waits instead of writing its words into a table without its key."""
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {WORDS_TABLE}")
        cursor.execute(f"ALTER TABLE {WORDS_TABLE} DROP CONSTRAINT IF EXISTS {WORDS_TABLE}_pkey")
        cursor.execute(
            f"INSERT INTO {WORDS_TABLE} {_WORDS_SELECT.format(row='l', source='market_listing l, ')}"
            " WHERE l.sellable"
        )
        count = cursor.rowcount
        cursor.execute(f"ALTER TABLE {WORDS_TABLE} ADD {WORDS_KEY}")
        cursor.execute(f"ANALYZE {WORDS_TABLE}")
    return count


def _words_ensure(cursor, connection, present: set[str]) -> None:
    """The names' words, their function and triggers, if any is missing; filled when first made."""
    cursor.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'market_listing'::regclass AND tgname LIKE %s",
        [f"{WORDS_TABLE}_%"],
    )
    made = WORDS_TABLE not in present
    if made or cursor.fetchone()[0] < 3:
        for sql in POSTGRES_WORDS:
            cursor.execute(sql)
    if made:
        words_rebuild(connection)


def words_candidates_sql(terms: list[str], limit: int) -> tuple[str, list]:
    """The newest `limit` sellable listings with every term in the name, from the names' words, as
    rows of (id, score, featured_month, province_code, price, created_at, stars) with the score
    of a name match (every term). One word: exact. Several: each word's newest WORDS_WINDOW
    entries are joined, which finds every match newer than the oldest entry of a full window; so
    `limit` rows are exactly the newest matches, and fewer than `limit` may miss some (the caller
    then asks the GIN index)."""
    columns = (
        f"w0.listing_id AS id, {len(terms)} AS score, w0.featured_month, w0.province_code, w0.price,"
        " w0.created_at, w0.stars"
    )
    if len(terms) == 1:
        sql = (
            f"SELECT {columns} FROM {WORDS_TABLE} w0 WHERE w0.term = %s"  # noqa: S608  (constants)
            " ORDER BY w0.listing_id DESC LIMIT %s"
        )
        return sql, [terms[0], limit]
    window = f"(SELECT {{what}} FROM {WORDS_TABLE} WHERE term = %s ORDER BY listing_id DESC LIMIT %s)"  # noqa: S608
    joins = " ".join(
        f"JOIN {window.format(what='listing_id')} w{i} ON w{i}.listing_id = w0.listing_id"
        for i in range(1, len(terms))
    )
    sql = (
        f"SELECT {columns} FROM {window.format(what='*')} w0 {joins}"  # noqa: S608  (constants)
        " ORDER BY w0.listing_id DESC LIMIT %s"
    )
    params: list = []
    for term in terms:
        params += [term, WORDS_WINDOW]
    return sql, [*params, limit]


_ready: dict[str, bool] = {}


def fts5_available(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
        if cursor.fetchone()[0]:
            return True
        try:  # FTS5 may also be loaded without the compile option showing it
            cursor.execute("CREATE VIRTUAL TABLE temp.kopdes_fts5_probe USING fts5(x)")
            cursor.execute("DROP TABLE temp.kopdes_fts5_probe")
        except Exception:
            return False
        return True


def search_schema_ensure(connection) -> None:
    """Create what full-text search needs in the database, if anything is missing."""
    _ready.clear()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only what is missing: even a no-op ALTER TABLE waits for an exclusive lock.
            cursor.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'market_listing'::regclass"
                " UNION SELECT relname FROM pg_class WHERE relkind IN ('i', 'r') AND relname LIKE %s",
                ["market_listing_%"],
            )
            present = {row[0] for row in cursor.fetchall()}
            for sql in [*POSTGRES_SCHEMA, *SORT_INDEXES]:
                name = re.search(r"IF (?:NOT )?EXISTS (\w+)", sql)
                dropping = sql.startswith("DROP")
                if name is None or (name.group(1) in present) == dropping:
                    cursor.execute(sql)
            _words_ensure(cursor, connection, present)
            return
        if connection.vendor != "sqlite":
            return
        for sql in SORT_INDEXES:
            cursor.execute(sql)
        if not fts5_available(connection):
            return  # the search falls back to a scan: correct, only slow
        for sql in SQLITE_EARLY_DRAFT:
            cursor.execute(sql)
        cursor.execute("SELECT sql FROM sqlite_master WHERE name IN (%s, %s)", [FTS_TABLE, FTS_NAME_TABLE])
        if any(FILTERS_COLUMN not in sql for (sql,) in cursor.fetchall()):
            for sql in SQLITE_DROP:  # tables of the words alone, before the filters' words: made again
                cursor.execute(sql)
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            ["market_listing_search_a_"],
        )
        triggers = cursor.fetchone()[0]
        for sql in [*SQLITE_TABLES, *SQLITE_TRIGGERS]:
            cursor.execute(sql)
        if triggers < len(SQLITE_TRIGGERS):
            for sql in SQLITE_REBUILD:
                cursor.execute(sql)


def search_schema_drop(connection) -> None:
    _ready.clear()
    with connection.cursor() as cursor:
        statements = {"postgresql": [*POSTGRES_WORDS_DROP, *POSTGRES_DROP], "sqlite": SQLITE_DROP}.get(
            connection.vendor, []
        )
        for sql in [*statements, *SORT_INDEXES_DROP]:
            cursor.execute(sql)


def _fts_ready(connection) -> bool:
    key = f"{connection.alias}:{connection.settings_dict['NAME']}"
    if key not in _ready:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = %s", [FTS_TABLE])
            _ready[key] = bool(cursor.fetchone()[0])
    return _ready[key]


def match_filter(
    queryset, terms: list[str], *, name_only: bool = False, newest: bool = False, filters: Sequence[str] = ()
):
    """`queryset` (of listings) narrowed to those containing every term (in the name only, if
    `name_only`). The full-text index answers; the caller adds a LIMIT. `newest`: on SQLite, in
    the index's order walked backwards, newest first (what PostgreSQL's names' words give a search
    without filters), and no sort; PostgreSQL's GIN index has no order to give. `filters`: the
    `filter_tokens` of `queryset`'s equality filters, which SQLite's index intersects with the
    words (PostgreSQL's GIN indexes take the filters from the WHERE)."""
    from django.db import connections

    connection = connections[queryset.db]
    words = " ".join(terms)
    if connection.vendor == "postgresql":
        vector = "market_listing.search_name_vector" if name_only else "market_listing.search_vector"
        match = f"{vector} @@ plainto_tsquery('simple'::regconfig, %s)"
        # extra(): the SQL is this module's constants; the words go in as a parameter.
        return queryset.extra(where=[match], params=[words])  # noqa: S610
    if connection.vendor == "sqlite" and _fts_ready(connection):
        # Each word quoted (a quote doubled) keeps FTS5's syntax out of the query.
        table = FTS_NAME_TABLE if name_only else FTS_TABLE
        # A join (not `id IN (...)`) lets SQLite walk the index and stop at the LIMIT.
        return queryset.extra(  # noqa: S610  (constants; the expression is a parameter)
            tables=[table],
            where=[f"{table}.rowid = market_listing.id", f"{table} MATCH %s"],
            params=[" AND ".join('"{}"'.format(word.replace('"', '""')) for word in [*terms, *filters])],
            order_by=[f"-{table}.rowid"] if newest else None,
        )
    return _scan(queryset, terms, name_only=name_only)  # no full-text index: correct, only slow


def _scan(queryset, terms: list[str], *, name_only: bool):
    """Whole words looked for in each listing's stemmed text: the same answers as the full-text
    indexes (the texts are words of [0-9a-z] between single spaces, as are the terms)."""
    where, params = [], []
    for term in terms:
        text = (
            "(' ' || market_listing.search_name || ' ')"
            if name_only
            else ("(' ' || market_listing.search_name || ' ' || market_listing.search_text || ' ')")
        )
        where.append(f"{text} LIKE %s")
        params.append(f"% {term} %")
    return queryset.extra(where=where, params=params)  # noqa: S610  (constants and parameters)


def fts_join_first(sql: str, vendor: str) -> str:
    """A compiled `match_filter` query with SQLite's full-text table driving the join.

    SQLite orders a comma join by its own estimates, and with statistics it walks every sellable
    listing and asks the full-text index about each one (half a minute for a rare word among a
    million listings). `CROSS JOIN` is SQLite's way of fixing the order: the index's matches
    first, each listing found by its primary key."""
    if vendor != "sqlite":
        return sql
    for table in (FTS_TABLE, FTS_NAME_TABLE):
        comma = f'FROM "market_listing" , "{table}"'
        if comma in sql:
            return sql.replace(comma, f'FROM "{table}" CROSS JOIN "market_listing"', 1)
    return sql  # no full-text index: the scan


# --- Vocabulary and suggestions -----------------------------------------------------------------

SUGGEST_CANDIDATES = 3000  # words compared with a misspelt one, at most
SUGGEST_CUTOFF = 0.7


def vocabulary_words(texts: Iterable[str]) -> set[str]:
    """The words of stemmed texts worth suggesting: 3 to 40 letters, not bare numbers."""
    words: set[str] = set()
    for text in texts:
        words.update(
            word for word in (text or "").split() if 3 <= len(word) <= MAX_TERM_LENGTH and not word.isdigit()
        )
    return words


def _term_rows(words: Iterable[str]):
    from .models import SearchTerm

    return [SearchTerm(term=w, head=w[:2], tail=w[-2:], length=len(w)) for w in sorted(words)]


def vocabulary_add(*texts: str) -> None:
    """Add the words of stemmed texts to the vocabulary (known words are skipped)."""
    from .models import SearchTerm

    words = vocabulary_words(texts)
    if words:
        SearchTerm.objects.bulk_create(_term_rows(words), ignore_conflicts=True, batch_size=500)


def vocabulary_rebuild(*, batch: int = 5000) -> int:
    """Fill the vocabulary from every listing (after a bulk load). Returns the number of words."""
    from django.db import transaction

    from .models import Listing, SearchTerm

    words: set[str] = set()
    rows = Listing.objects.values_list("search_name", "search_text").order_by()
    for name, text in rows.iterator(chunk_size=batch):
        words.update(vocabulary_words((name, text)))
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create(_term_rows(words), batch_size=batch)
    return len(words)


def _closest(term: str) -> str | None:
    from django.db.models import Q

    from .models import SearchTerm

    size = len(term)
    lengths = (max(3, size - 2), size + 2)
    candidates = list(
        SearchTerm.objects.filter(
            Q(head=term[:2], length__range=lengths) | Q(tail=term[-2:], length__range=lengths)
        )
        .order_by("term")
        .values_list("term", flat=True)[:SUGGEST_CANDIDATES]
    )
    found = difflib.get_close_matches(term, candidates, n=1, cutoff=SUGGEST_CUTOFF)
    return found[0] if found else None


def suggest_terms(terms: list[str]) -> list[str] | None:
    """The terms with each word that is in no listing replaced by the closest known word; None if
    no word could be replaced. At most 1 + MAX_TERMS small indexed queries."""
    from .models import SearchTerm

    if not terms:
        return None
    known = set(SearchTerm.objects.filter(term__in=terms).values_list("term", flat=True))
    replaced = list(terms)
    changed = False
    for i, term in enumerate(terms):
        if term in known or len(term) < 3 or term.isdigit():
            continue
        closest = _closest(term)
        if closest and closest != term:
            replaced[i] = closest
            changed = True
    return replaced if changed else None
