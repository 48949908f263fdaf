"""Shapes of landed CSV files the reader meets in the wild: line endings, blank lines, multi-line values, blank
required text, UTF-16/UTF-32 exports, a dropped column named twice; on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import pytest

from chinook_platform.lib.landing import csv_reader
from chinook_platform_tests.oltp.test_oltp_load import CUSTOMERS, load, quarantined, rows

ARTISTS_WITH_GAPS = 'ArtistId,Name\n1,AC/DC\n\n2,"Accept\nand friends"\nx,Broken\n\n3,Aerosmith\n4\n'


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_every_line_ending_loads_alike_with_physical_line_numbers(oltp_engine, tmp_path, newline):
    result = load(oltp_engine, tmp_path, "Artist", ARTISTS_WITH_GAPS.replace("\n", newline))
    assert (result.status, result.rows_inserted, result.rows_quarantined) == ("loaded", 3, 2)
    assert rows(oltp_engine, "artist")[1]["name"] == "Accept" + newline + "and friends"
    # Header = line 1; a blank line and a value spanning two lines each count.
    assert [(q["line_number"], q["column_name"]) for q in quarantined(oltp_engine)] == [(6, "ArtistId"), (9, None)]


def test_line_numbers_stay_physical_across_blocks_after_blank_lines_and_multiline_values(
    oltp_engine, tmp_path, monkeypatch
):
    monkeypatch.setattr(csv_reader, "BLOCK_SIZE", 256)  # many blocks, and pyarrow's read-ahead in between
    body = [f'{i},"Artist\n{i}"\n' if i % 7 == 0 else f"{i},Artist {i}\n\n" for i in range(1, 301)]
    body[149] = "x,Broken\n"  # record 150: lines before it are 1 + 149 records' lines
    lines_before = 1 + sum(chunk.count("\n") for chunk in body[:149])
    load(oltp_engine, tmp_path, "Artist", "ArtistId,Name\n" + "".join(body))
    assert [q["line_number"] for q in quarantined(oltp_engine)] == [lines_before + 1]


def test_a_required_text_that_is_blank_after_trimming_is_missing(oltp_engine, tmp_path):
    result = load(oltp_engine, tmp_path, "Artist", 'ArtistId,Name\n1,"   "\n2,\t\n3,Ok\n')
    assert (result.rows_inserted, result.rows_quarantined) == (1, 2)
    assert {q["reason"] for q in quarantined(oltp_engine)} == {"Name: required value is missing"}


@pytest.mark.parametrize(
    ("codec", "named"),
    [("utf-16", "UTF-16 (little-endian)"), ("utf-16-be", "UTF-16 (big-endian)"), ("utf-32", "UTF-32 (little-endian)")],
)
def test_a_utf16_or_utf32_file_is_rejected_naming_its_encoding(oltp_engine, tmp_path, codec, named):
    content = "ArtistId,Name\n1,AC/DC\n"
    data = ("\ufeff" + content).encode(codec) if codec.endswith("-be") else content.encode(codec)
    result = load(oltp_engine, tmp_path, "Artist", data)
    assert result.status == "rejected"
    assert f"the file is {named} text" in result.error and "save it as UTF-8" in result.error


def test_a_dropped_column_named_twice_is_listed_once(oltp_engine, tmp_path):
    header, *body = CUSTOMERS.splitlines()
    content = "\n".join([header + ",Fax,Fax", *(f"{row},1,2" for row in body)]) + "\n"
    assert load(oltp_engine, tmp_path, "Customer", content).dropped_columns == ["Fax"]
