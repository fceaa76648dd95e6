"""Files written whole (wom.store.partials): a reader never sees half a file, a killed
command's temporaries are removed by the next one, links are written through and a file
replaced keeps its permissions."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wom.store import PARTIAL, hidden_twin, remove_stale_partials, replace_whole
from wom.store.partials import machine, partial_owner

HOST = machine()


def dead_pid() -> int:
    """The pid of a process that has ended."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.parametrize("name, owner", [
    (".sweep.partial-{h}-{p}.sqlite", ("{h}", "{p}")),
    (".sweep.partial-{h}-{p}.140233.sqlite", ("{h}", "{p}")),  # a thread's tag
    (".sweep.partial-{h}-{p}.140233.sqlite-journal", ("{h}", "{p}")),  # SQLite's journal
    (".run.0.partial-{h}-{p}", ("{h}", "{p}")),  # a run folder
    (".adoption.partial-node-7-{p}.png", ("node-7", "{p}")),  # a host with a dash
    (".report.html.partial-{p}", ("", -1)),  # (an older wom's: no host)
    (".hidden.csv", None),
    ("sweep.partial-{h}-{p}.sqlite", None),  # not hidden: a user's file
])
def test_a_temporary_names_the_process_writing_it(name, owner):
    p = 4242
    path = Path(name.format(h=HOST, p=p))
    want = None if owner is None else (owner[0].format(h=HOST), int(str(owner[1]).format(p=p)))
    assert partial_owner(path) == want


def test_a_twin_with_a_tag_is_this_process_own():
    twin = hidden_twin(Path("/x/sweep.sqlite"), "77")
    assert twin.name == f".sweep{PARTIAL}{HOST}-{os.getpid()}.77.sqlite"
    assert partial_owner(twin) == (HOST, os.getpid())


def test_the_journal_and_tagged_store_of_a_killed_sweep_are_removed(tmp_path):
    # a sweep killed while creating its store left ``.sweep.sqlite.PID.TID.tmp`` and its
    # ``-journal`` for good (they did not carry the marks of a temporary)
    pid = dead_pid()
    dead = [tmp_path / f".sweep{PARTIAL}{HOST}-{pid}.140233.sqlite",
            tmp_path / f".sweep{PARTIAL}{HOST}-{pid}.140233.sqlite-journal"]
    alive = hidden_twin(tmp_path / "sweep.sqlite", "1")
    for p in (*dead, alive):
        p.write_bytes(b"SQLite")
    remove_stale_partials(tmp_path)
    assert sorted(tmp_path.iterdir()) == [alive]


def test_a_sweep_store_is_created_through_a_temporary_a_kill_leaves_for_the_next(tmp_path,
                                                                                   monkeypatch):
    from test_atomic import small_results
    from wom.experiment import sweep

    sc = small_results(tmp_path).scenario
    out = tmp_path / "sweep"
    out.mkdir()
    pid = dead_pid()
    stale = out / f".sweep{PARTIAL}{HOST}-{pid}.9.sqlite"
    stale.write_bytes(b"half a store")
    seen = []
    connect = sweep.sqlite3.connect

    def spy(path, *args, **kwargs):
        seen.append(Path(path))
        return connect(path, *args, **kwargs)

    monkeypatch.setattr(sweep.sqlite3, "connect", spy)
    sweep.create_store(out, sc, [{"network.mixing": 0.1}], {"varies": "[]", "replicates": "1"})
    assert partial_owner(seen[0]) == (HOST, os.getpid())  # written as a temporary
    assert sorted(p.name for p in out.iterdir()) == ["sweep.sqlite"]  # the dead one's gone


def test_replace_whole_leaves_the_old_file_when_the_write_fails(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")

    def fails(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")  # names no file, as a full disk does

    with pytest.raises(OSError) as err:
        replace_whole(path, fails)
    assert err.value.filename == str(path)  # the file, never its temporary
    assert path.read_text() == "old\n"
    assert sorted(tmp_path.iterdir()) == [path]


def test_replace_whole_removes_what_killed_writers_left_and_only_that(tmp_path):
    pid = dead_pid()
    dead = tmp_path / f".table{PARTIAL}{HOST}-{pid}.csv"
    elsewhere = tmp_path / f".table{PARTIAL}other-host-{pid}.csv"
    for p in (dead, elsewhere):
        p.write_text("half")
    replace_whole(tmp_path / "table.csv", lambda tmp: tmp.write_text("new\n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["table.csv", elsewhere.name])


def test_replace_whole_writes_through_a_link_and_keeps_permissions(tmp_path):
    # -o pointed at a link to a shared file: the link was replaced by a file of its own
    # (the shared file left stale), with the umask's permissions instead of the file's
    real = tmp_path / "shared" / "adoption.png"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "adoption.png"
    link.symlink_to(real)
    assert replace_whole(link, lambda tmp: tmp.write_text("new")) == link
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(real.parent.iterdir()) == [real]  # no temporary left beside it


def test_replace_whole_creates_a_new_file_with_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        replace_whole(tmp_path / "new.txt", lambda tmp: tmp.write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_replace_whole_names_a_loop_of_links(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(OSError) as err:
        replace_whole(a, lambda tmp: tmp.write_text("x"))
    assert err.value.filename == str(a)
    assert a.is_symlink() and b.is_symlink()


def test_a_figure_saved_over_a_link_lands_in_the_linked_file(tmp_path):
    from matplotlib.figure import Figure

    from wom.viz.style import save_figure

    real = tmp_path / "deck" / "adoption.png"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "adoption.png"
    link.symlink_to(real)
    fig = Figure()
    fig.subplots().plot([0, 1])
    save_figure(fig, link)
    assert link.is_symlink() and real.read_bytes().startswith(b"\x89PNG")


def test_a_link_to_a_pipe_or_a_device_is_refused_not_replaced(tmp_path):
    # breaker trial: `ln -s /dev/null report.html` (a way to throw an output away) made wom
    # replace the system's /dev/null by a regular file; a pipe became a PNG
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    link = tmp_path / "report.html"
    link.symlink_to(pipe)
    for path in (link, pipe):
        with pytest.raises(OSError, match="not a regular file") as err:
            replace_whole(path, lambda tmp: tmp.write_text("x"))
        assert err.value.filename == str(path)
    assert stat.S_ISFIFO(pipe.stat().st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "report.html"]
    with pytest.raises(IsADirectoryError):
        replace_whole(tmp_path, lambda tmp: tmp.write_text("x"))


def test_a_read_only_file_is_kept(tmp_path, monkeypatch):
    # breaker trial: a file made read-only (chmod 444) to keep it was replaced all the same
    # (a rename needs only the folder to be writable); the shell's `>` keeps it. (As root
    # every file is writable: the check is os.access's, faked here.)
    path = tmp_path / "adoption.png"
    path.write_text("kept")
    path.chmod(0o444)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: (
        False if Path(p) == path and mode == os.W_OK else real_access(p, mode)))
    with pytest.raises(PermissionError, match="read-only") as err:
        replace_whole(path, lambda tmp: tmp.write_text("new"))
    assert err.value.filename == str(path)
    assert path.read_text() == "kept" and sorted(tmp_path.iterdir()) == [path]


def test_a_failed_clean_up_does_not_hide_why_the_write_failed(tmp_path, monkeypatch):
    # breaker trial: on a read-only file system, removing the temporary failed too, and that
    # error ("Read-only file system: .report.partial-….html") replaced the one naming the file
    import errno

    path = tmp_path / "report.html"

    def read_only(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    def fails(tmp: Path) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(OSError) as err:
        replace_whole(path, fails)
    assert err.value.filename == str(path) and err.value.errno == errno.EROFS


def test_a_name_that_is_not_utf8_is_written(tmp_path):
    # breaker trial: `-o $'\xe9t\xe9.png'` ended in a UnicodeEncodeError traceback
    path = tmp_path / os.fsdecode(b"\xe9t\xe9.png")
    replace_whole(path, lambda tmp: tmp.write_text("x"))
    assert os.listdir(os.fsencode(tmp_path)) == [b"\xe9t\xe9.png"]
    long = tmp_path / os.fsdecode(b"\xe9" * 200 + b".png")
    assert len(os.fsencode(hidden_twin(long).name)) < 255


def test_a_number_no_process_can_have_is_a_dead_writer(tmp_path):
    # breaker trial: `.notes.partial-HOST-99999999999.txt` ended every write in the folder
    # with an OverflowError traceback
    odd = tmp_path / f".notes{PARTIAL}{HOST}-99999999999.txt"
    odd.write_text("x")
    remove_stale_partials(tmp_path)
    assert not odd.exists()


def test_the_report_shows_no_figure_being_written(tmp_path):
    # breaker trial: `wom report` during a `wom plot` showed `.penetration.partial-….png`,
    # half written, as a figure of its own
    from wom.viz.report import plot_files

    (tmp_path / "adoption.png").write_bytes(b"\x89PNG")
    (tmp_path / f".adoption{PARTIAL}{HOST}-4000000.png").write_bytes(b"\x89P")
    (tmp_path / f".penetration{PARTIAL}{HOST}-{os.getpid()}.png").write_bytes(b"\x89P")
    assert plot_files(tmp_path) == [(tmp_path / "adoption.png", [])]


def test_a_temporary_of_another_pid_namespace_is_not_judged_here(tmp_path):
    # breaker trial: a command in a container sharing the host name (and the folder) took a
    # live run's hidden folder for a dead one's, its pid being unknown here, and removed it
    # under the running command
    pid = dead_pid()  # (no process here has it; one in the other namespace may)
    theirs = tmp_path / f".run.0{PARTIAL}{socket.gethostname()}~1-{pid}"
    ours = tmp_path / f".run.0{PARTIAL}{machine()}-{pid}"
    for p in (theirs, ours):
        p.mkdir()
    remove_stale_partials(tmp_path)
    assert sorted(tmp_path.iterdir()) == [theirs]
    assert machine().startswith(socket.gethostname())
