"""issue 21: a long history's files are typed by one listing of their folder (d_type) and
made by pathlib's child constructor instead of an lstat and a parse apiece. Whatever the
shortcut, the confinement must judge each file as before: a link out is refused, a FIFO or
folder is not a file, an odd journal name is the path `folder / name` gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checks.support.errors import RefusedInput
from checks.support.files import _LISTED_FROM, Confinement, UnreadableFile

SECRET_FILE = "/etc/passwd"  # a file every Linux has, outside any project


def history(folder: Path, count: int) -> list[str]:
    folder.mkdir(parents=True)
    names = [f"{n:04d}_m{n}.sql" for n in range(count)]
    for name in names:
        (folder / name).write_text(f"create table m{name[:4]} (id int);\n")
    return names


def test_a_long_folders_listing_types_each_file_as_its_lstat_would(tmp_path: Path) -> None:
    project = tmp_path / "app"
    folder = project / "drizzle"
    names = history(folder, _LISTED_FROM + 8)
    (folder / names[3]).unlink()
    (folder / names[3]).symlink_to(SECRET_FILE)
    (folder / names[5]).unlink()
    os.mkfifo(folder / names[5])
    (folder / names[7]).unlink()
    (folder / names[7]).mkdir()
    (folder / names[9]).unlink()  # named by the journal, not there
    inside = Confinement([project])
    paths = inside.children(folder, names)
    assert [p.is_file() for p in paths] == [inside.is_file(p) for p in paths]
    assert [inside.is_file(p) for p in paths].count(False) == 3  # the FIFO, the folder, the missing file
    with pytest.raises(RefusedInput, match=f"drizzle/{names[3]} resolves outside the project"):
        inside.judge_all(paths, lambda p: p.relative_to(project).as_posix())
    with pytest.raises(UnreadableFile, match="not a regular file"):
        inside.read(paths[5], names[5])
    assert inside.read(paths[0], names[0]) == (folder / names[0]).read_bytes()


def test_a_link_inside_the_project_is_judged_where_it_leads(tmp_path: Path) -> None:
    project = tmp_path / "app"
    folder = project / "drizzle"
    names = history(folder, _LISTED_FROM + 1)
    kept = project / "sql" / names[2]
    kept.parent.mkdir()
    (folder / names[2]).rename(kept)
    (folder / names[2]).symlink_to(kept)
    inside = Confinement([project])
    paths = inside.children(folder, names)
    assert all(inside.is_file(p) for p in paths)
    inside.judge_all(paths, str)  # nothing leads out: nothing refused
    assert inside(paths[2], names[2]) == kept


@pytest.mark.parametrize("name", ["0001_a.sql", "../evil.sql", "sub/0002_b.sql", ".", "..", ""])
def test_each_journal_name_gives_the_path_folder_slash_name_gives(tmp_path: Path, name: str) -> None:
    inside = Confinement([tmp_path])
    made = inside.children(tmp_path / "drizzle", [name])[0]
    expected = tmp_path / "drizzle" / name
    assert (str(made), made.parts, made.name, made.parent) == (str(expected), expected.parts, expected.name,
                                                                expected.parent)


@pytest.mark.parametrize("count", [_LISTED_FROM + 8, 2])  # typed by the folder's listing, or by an lstat
def test_a_file_judged_regular_then_swapped_for_a_link_out_is_refused_at_the_read(tmp_path: Path,
                                                                                    count: int) -> None:
    project = tmp_path / "app"
    folder = project / "drizzle"
    names = history(folder, count)
    inside = Confinement([project])
    paths = inside.children(folder, names)
    assert inside.is_file(paths[1])
    inside.judge_all(paths, str)  # all regular and inside, when judged
    paths[1].unlink()
    paths[1].symlink_to(SECRET_FILE)  # swapped between the judgement and the read
    with pytest.raises(RefusedInput, match=f"{names[1]} resolves outside the project"):
        inside.read(paths[1], names[1])


@pytest.mark.parametrize("folder", ["/srv/app/drizzle", "/", ".", "drizzle", "../db/drizzle"])
def test_a_listed_child_is_the_path_its_folder_joins(folder: str) -> None:
    """children() hands each path its text as it makes it (issue 21: 1.5 µs a migration):
    what str(), os.fspath, ==, hash and the parts give is what `folder / name` gives."""
    listed = Confinement([Path("/")]).children(Path(folder), ["0000_init.sql", "0001 two words.sql"])
    for path in listed:
        joined = Path(folder) / path.name
        assert (str(path), os.fspath(path), path.as_posix()) == (str(joined), os.fspath(joined), joined.as_posix())
        assert path == joined and hash(path) == hash(joined) and path.parts == joined.parts
        assert path.parent == Path(folder) and path.suffix == ".sql"
