"""Where the output goes: a ``wom`` process whose standard output is closed by its reader
(``wom run … | head``) or cannot be written (``> /dev/full``) ends with a plain line (or, for
a closed pipe, quietly) and a documented exit status, never a traceback, and leaves its files
complete; a matplotlib back-end named in the environment plays no part."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wom.cli.stops import PIPE_EXIT
from wom.store import read_run

SCENARIO = """\
name: piped
seed: 5
horizon: 6
replicates: 2
segments:
  - {name: a, size: 200, references: 1}
  - {name: b, size: 150}
budget: {total: 3000, cost_per_seed: 100, cost_per_contact: 5, campaign_weeks: 3}
strategies:
  - {name: focused, kind: focused, segment: a}
  - {name: broad, kind: broad, seeding: random}
"""


def wom(args: list[str], stdout: int, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wom.cli", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=300,
                          env={**os.environ, **env})


def closed_pipe() -> int:
    """The write end of a pipe whose reader has gone (what ``| head`` leaves once it has
    read its lines): every write to it fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("args", [["list"], ["--help"], ["run", "--help"], ["--version"]])
def test_a_closed_pipe_ends_quietly_with_sigpipes_status(args):
    pipe = closed_pipe()
    try:
        done = wom(args, stdout=pipe)
    finally:
        os.close(pipe)
    assert done.returncode == PIPE_EXIT == 141, done.stderr
    assert done.stderr == ""  # (neither a traceback nor "Exception ignored …")


def test_a_run_whose_summary_is_not_read_keeps_its_folder(tmp_path: Path):
    scenario = tmp_path / "piped.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run"
    pipe = closed_pipe()
    try:
        done = wom(["run", str(scenario), "--workers", "1", "--out", str(out)], stdout=pipe)
    finally:
        os.close(pipe)
    assert done.returncode == PIPE_EXIT, done.stderr
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr, done.stderr
    run = read_run(out)  # written whole before the summary
    assert len(run.timeseries()) == 2 * 2 * 6 * 2  # strategies, replicates, weeks, segments
    assert (out / "adoption.png").stat().st_size > 0


@pytest.mark.parametrize("args", [["list"], ["--help"], ["run", "--help"], ["--version"]])
def test_a_full_stdout_is_named_as_the_place_that_could_not_be_written(args):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        done = wom(args, stdout=full.fileno())
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("error: No space left on device (writing to standard output)\n")


@pytest.mark.parametrize("args", [["list"], ["--version"]])
def test_a_closed_stdout_is_an_error_not_silence(args):
    # `wom list >&-` printed nothing and exited 0 (new-user trial): nothing can be said
    done = subprocess.run([sys.executable, "-m", "wom.cli", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=300,
                          preexec_fn=lambda: os.close(1))
    assert done.returncode == 2
    assert done.stderr.startswith("error: Bad file descriptor (standard output is closed")


@pytest.mark.parametrize("args", [["list"], ["run", "--help"]])
def test_a_matplotlib_backend_named_in_the_environment_plays_no_part(args):
    # wom draws on its own canvases: a name matplotlib does not know (it refuses one as it
    # is imported) neither stops a command nor says anything
    done = wom(args, stdout=subprocess.PIPE, MPLBACKEND="no-such-backend")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.strip()


@pytest.mark.parametrize("args", [["validate", "no-such-file.yaml"], ["run", "--no-such-option"]])
def test_an_error_that_cannot_be_shown_still_exits_2(args):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "wom.cli", *args], stdout=subprocess.PIPE,
                              stderr=full, timeout=300)
    assert done.returncode == 2


def test_warnings_that_cannot_be_shown_do_not_stop_a_run(tmp_path: Path):
    # email-departments warns (segments too small for their references): with stderr on a
    # full disk the warnings are lost, not the run
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "email-departments.yaml"
    out = tmp_path / "run"
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "wom.cli", "run", str(scenario), "-r", "1",
                               "-w", "1", "--out", str(out)], stdout=subprocess.PIPE,
                              stderr=full, timeout=600)
    assert done.returncode == 0
    assert read_run(out).summary().shape[0] >= 1


def test_a_sweep_or_a_sensitivity_whose_table_is_not_read_keeps_every_file(tmp_path: Path):
    # they print their table last, after writing every file: `| head` loses no file
    scenario = tmp_path / "piped.yaml"
    scenario.write_text(SCENARIO)
    cases = {
        "sweep": (["sweep", str(scenario), "--vary", "network.mixing=0.05:0.3:2", "-r", "2",
                   "-w", "1"], ["sweep.csv", "phase.png"]),
        "sensitivity": (["sensitivity", str(scenario), "-p", "network.mixing=0.02:0.4",
                         "-p", "budget.total=1000:5000", "--n", "4", "-r", "1", "-w", "1"],
                        ["sensitivity.csv", "sensitivity.png"]),
    }
    for name, (args, files) in cases.items():
        out = tmp_path / name
        pipe = closed_pipe()
        try:
            done = wom([*args, "--out", str(out)], stdout=pipe)
        finally:
            os.close(pipe)
        assert done.returncode == PIPE_EXIT, (name, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        for file in files:
            assert (out / file).stat().st_size > 0, (name, file)


def test_plain_text_keeps_a_negative_range_readable():
    # "-503.5–-287.5" was written "-503.5--287.5" on an ASCII terminal (re-check)
    from wom.cli.stops import PLAIN_CODEC

    assert "-503.5–-287.5".encode(PLAIN_CODEC) == b"-503.5 to -287.5"
    assert "−3–−1 or 63–70 × 2 …".encode(PLAIN_CODEC) == b"-3 to -1 or 63-70 x 2 ..."
    # a negative start and a positive end: "-562.2-111.2" read as -562.2 to -111.2
    assert "-562.2–111.2 and −4–5".encode(PLAIN_CODEC) == b"-562.2 to 111.2 and -4 to 5"
    assert "weeks 0–51, the 5th–95th".encode(PLAIN_CODEC) == b"weeks 0-51, the 5th-95th"
    assert "a–".encode(PLAIN_CODEC) == b"a-"  # (the text's last character)
    assert "ok".encode(PLAIN_CODEC) == b"ok" and b"ok".decode(PLAIN_CODEC) == "ok"
    # wom's own signs in words; what a user typed, escaped (it read "sc?nario.yaml")
    assert "β·ρ·w".encode(PLAIN_CODEC) == b"beta*rho*w"
    assert "scénario.yaml".encode(PLAIN_CODEC) == b"sc\\xe9nario.yaml"


def test_an_ascii_terminal_lays_tables_out_with_what_it_prints(tmp_path: Path):
    # "-26,594 to -22,818" was three characters wider than the column rich had measured for
    # "-26,594–-22,818": the row stuck out of the table (re-check)
    from wom.cli.stops import as_shown

    assert as_shown([["a", "1–2"]]) == [["a", "1–2"]]  # (a UTF-8 terminal: as they are)
    done = wom(["run", str(Path(__file__).resolve().parents[1] / "scenarios" /
                           "quality-revenue.yaml"), "-r", "2", "-w", "1", "--out",
                str(tmp_path / "run"), *(a for seg in ("clinics", "gyms", "salons", "shops")
                                         for a in ("--set", f"segments.{seg}.price=1"))],
               stdout=subprocess.PIPE, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("strategy | spend"))
    table = lines[head - 1:head + 4]  # two header lines, the rule, the two strategies
    assert any(" to -" in line for line in table), done.stdout
    assert len({len(line.rstrip()) for line in table}) == 1, table


def test_an_ascii_terminal_gets_plain_lines_from_click_too():
    # click takes an ASCII stream for a misconfigured UTF-8 one and wrote UTF-8 dashes to it
    # (`wom list`: "Bass market \xe2\x80\x94 external influence"); now plain, as rich's
    done = subprocess.run([sys.executable, "-m", "wom.cli", "list"], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "ascii"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert b"bass" in done.stdout and done.stdout.isascii() and b"?" not in done.stdout
    assert b"Bass market - external influence" in done.stdout


def test_a_folder_that_cannot_be_written_is_named_not_its_hidden_temporary():
    from wom.errors import failed_write

    full = OSError(28, "No space left on device", "/r/.run.0.partial-host-7/timeseries.csv")
    assert failed_write(full) == "No space left on device (writing timeseries.csv)"
    gone = OSError(2, "No such file or directory", "/proc/.nope.0.partial-host-7")
    assert failed_write(gone) == "No such file or directory"
    if not Path("/proc/self").exists():
        pytest.skip("needs /proc")
    done = wom(["run", str(Path(__file__).resolve().parents[1] / "scenarios" / "bass.yaml"),
                "-r", "1", "-w", "1", "--quiet", "--out", "/proc/no-such-run"],
               stdout=subprocess.PIPE)
    assert done.returncode == 2 and ".partial-" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: /proc/no-such-run: cannot write the run folder: ")


def test_an_ascii_terminal_gets_plain_dashes_not_a_traceback(tmp_path: Path):
    # PYTHONIOENCODING=ascii (or LC_ALL=C with PYTHONUTF8=0): rich raised UnicodeEncodeError
    # on the interval's "–", exit 1 after the run folder was written (breaker trial)
    scenario = tmp_path / "ascii.yaml"
    scenario.write_text(SCENARIO)
    done = wom(["run", str(scenario), "--workers", "1", "--replicates", "3", "--out",
                str(tmp_path / "run")], stdout=subprocess.PIPE, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = [line for line in done.stdout.splitlines() if re.match(r"(focused|broad) +\|", line)]
    assert len(rows) == 2 and all(re.search(r"\d-\d", r) for r in rows), done.stdout
    assert done.stdout.isascii() and "?" not in done.stdout


def test_a_full_disk_in_a_folder_being_written_names_the_file_not_the_temporary(capsys):
    # wom optimize on a full disk said "…/o/.writing.partial-vm-8217/plan.png" (re-check)
    import errno

    from wom.cli.stops import unwritable

    err = OSError(errno.ENOSPC, "No space left on device", "/t/o/.writing.partial-vm-1/plan.png")
    assert unwritable(err).exit_code == 2
    assert capsys.readouterr().err == "error: No space left on device: plan.png\n"
