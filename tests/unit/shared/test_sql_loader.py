"""The SQL loader: named blocks, parameters, domain files beside their jobs."""

import pytest

from shared.sql import SqlFile, parse, queries, sa_text


def test_parse_splits_named_blocks_and_strips_them():
    text = "-- header comment\n-- name: a_get\nSELECT 1\n\n-- name: b_put\n-- what it does\nUPDATE t SET x = 1\n"
    assert parse(text, "t.sql") == {"a_get": "SELECT 1", "b_put": "-- what it does\nUPDATE t SET x = 1"}


def test_a_name_defined_twice_is_an_error_naming_the_file():
    with pytest.raises(ValueError, match=r"t\.sql: query 'a' defined twice"):
        parse("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n", "t.sql")


def test_platform_and_domain_files_load_by_name():
    assert "queue_claim" in queries("queue")
    assert "decay_user_lock" in queries(SqlFile("actors.game", "decay"))


def test_sa_text_turns_pyformat_parameters_into_bind_parameters():
    clause = sa_text("queue", "queue_prune")
    assert ":before" in str(clause) and "%(" not in str(clause)


def test_a_sql_file_without_a_package_is_refused():
    with pytest.raises(ValueError, match="needs the package"):
        queries(SqlFile(None, "decay"))
