"""The contract's type map: each column type's spelling in every engine, and what a column must carry for one."""

import pytest

from chinook_platform.lib.contract import Column, ColumnType, readme_type, sql_type_name, table


def test_a_text_column_is_spelled_with_its_length_in_every_engine():
    name = table("Artist").column("Name")
    assert (name.type, name.max_length) == (ColumnType.TEXT, 120)
    spelled = {engine: sql_type_name(name, engine) for engine in ("postgres", "duckdb", "redshift")}
    assert spelled == {"postgres": "varchar(120)", "duckdb": "varchar", "redshift": "varchar(480)"}
    assert readme_type(name) == "text ≤ 120"


def test_a_text_column_without_a_maximum_length_is_refused():
    with pytest.raises(ValueError, match="text column Notes needs a max_length"):
        Column("Notes", ColumnType.TEXT)
    assert Column("Notes", ColumnType.TEXT, max_length=10).max_length == 10
