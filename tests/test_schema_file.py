"""schema.graphql must equal the exported schema."""

from pathlib import Path

from graph.schema import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_is_current():
    assert SCHEMA_FILE.read_text() == export_sdl(), (
        "schema.graphql is stale: run `make schema` and commit the result"
    )
