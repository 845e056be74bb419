"""Faults: a killed ingest, two ingests on one store, a full disk. Real processes, real
signals, a real (tiny) filesystem where this machine allows mounting one."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from newsdesk import cli
from newsdesk.store import Store

pytestmark = pytest.mark.slow

N_ARTICLES = 60
_NEWSDESK = Path(sys.executable).parent / "newsdesk"
NEWSDESK = [str(_NEWSDESK)] if _NEWSDESK.exists() else [sys.executable, "-m", "newsdesk.cli"]


def _paragraphs(sample_dir: Path) -> list[str]:
    pool = []
    for path in sorted(sample_dir.glob("*.txt")):
        for para in re.split(r"\n", path.read_text(encoding="utf-8")):
            para = para.strip()
            if len(para.split()) >= 25 and para[-1:] in ".!?\"”":
                pool.append(para)
    return pool


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory, sample_dir) -> Path:
    """60 distinct articles from the sample's paragraphs: no two share more than one
    paragraph, so none is a near-duplicate of another."""
    folder = tmp_path_factory.mktemp("big") / "corpus"
    folder.mkdir()
    pool = _paragraphs(sample_dir)
    rnd = random.Random(7)
    chosen: list[frozenset[int]] = []
    while len(chosen) < N_ARTICLES:
        pick = frozenset(rnd.sample(range(len(pool)), 3))
        if all(len(pick & other) <= 1 for other in chosen):
            chosen.append(pick)
    for i, pick in enumerate(chosen):
        paras = [pool[j] for j in sorted(pick, key=lambda j: rnd.random())]
        text = f"Dispatch number {i} on the talks\n\n" + "\n\n".join(paras) + "\n"
        (folder / f"art_{i:03d}.txt").write_text(text, encoding="utf-8")
    return folder


class Stderr:
    """Collects a process's standard error in a thread (tqdm writes '\\r' updates)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.chunks: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for chunk in iter(lambda: proc.stderr.read1(4096), b""):
            self.chunks.append(chunk.decode("utf-8", errors="replace"))

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def progress(self, total: int) -> int:
        done = re.findall(rf"\b(\d+)/{total}\b", self.text)
        return max(map(int, done), default=0)

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


def _start(*args: str | Path) -> tuple[subprocess.Popen, Stderr]:
    proc = subprocess.Popen([*NEWSDESK, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return proc, Stderr(proc)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _assert_consistent(db: Path, expected_ids: set[str]) -> None:
    """Every article once, per-article rows unique, resolved tables agree with themselves."""
    with Store(db, read_only=True) as store:
        q = store.con.execute

        def rows(sql: str) -> list:
            return q(sql).fetchall()

        ids = [r[0] for r in rows("SELECT article_id FROM articles")]
        assert sorted(ids) == sorted(expected_ids)  # each exactly once
        assert rows("SELECT count(*) FROM articles WHERE status <> 'ok'") == [(0,)]
        assert rows('SELECT article_id, start, "end", label, count(*) FROM raw_mentions '
                    "GROUP BY ALL HAVING count(*) > 1") == []
        assert rows("SELECT article_id, start, count(*) FROM mentions GROUP BY ALL "
                    "HAVING count(*) > 1") == []
        assert rows('SELECT article_id, start, "end", count(*) FROM sentences GROUP BY ALL '
                    "HAVING count(*) > 1") == []
        assert rows("SELECT count(*) FROM mentions WHERE article_id NOT IN "
                    "(SELECT article_id FROM articles)") == [(0,)]
        no_mentions = rows("SELECT article_id FROM articles WHERE article_id NOT IN "
                           "(SELECT article_id FROM mentions)")
        assert no_mentions == []
        # the entities table counts exactly the mentions table
        assert rows("SELECT count(*) FROM entities e FULL JOIN (SELECT entity_id, count(*) AS n "
                    "FROM mentions GROUP BY 1) m USING (entity_id) "
                    "WHERE e.mentions IS DISTINCT FROM m.n") == [(0,)]


def test_faults_kill_9_mid_ingest_then_resume(big_corpus, tmp_path, capsys):
    db = tmp_path / "killed.duckdb"
    proc, err = _start("ingest", big_corpus, "--db", db, "--batch-size", "4")
    try:
        assert err.wait_for(lambda: err.progress(N_ARTICLES) >= 8 or proc.poll() is not None,
                            timeout=60), err.text
        assert proc.poll() is None, f"ingest ended before it could be killed:\n{err.text}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _kill(proc)
    assert proc.returncode == -signal.SIGKILL
    with Store(db, read_only=True) as store:
        committed = {r[0] for r in store.con.execute("SELECT article_id FROM articles")
                     .fetchall()}
        runs = store.con.execute("SELECT finished FROM runs").fetchall()
    assert 8 <= len(committed) < N_ARTICLES, len(committed)
    assert runs == [(None,)]  # the killed run is on record as unfinished

    assert cli.main(["ingest", str(big_corpus), "--db", str(db), "-q"]) == 0
    out = capsys.readouterr().err
    remaining = N_ARTICLES - len(committed)
    assert (f"{N_ARTICLES} articles: {remaining} parsed, {len(committed)} unchanged (cached), "
            "0 with problems; completed the interrupted run") in out
    assert "did not finish; its articles are kept, the rest is done now" in out
    all_ids = {p.stem for p in big_corpus.glob("*.txt")}
    _assert_consistent(db, all_ids)
    with Store(db, read_only=True) as store:
        parsed_again = store.con.execute(
            "SELECT count(*) FROM articles WHERE article_id IN (SELECT unnest(?))",
            [sorted(committed)]).fetchall()
        runs = store.con.execute("SELECT parsed, cached, finished IS NOT NULL FROM runs "
                                 "ORDER BY started").fetchall()
    assert parsed_again == [(len(committed),)]
    assert runs == [(None, None, False), (remaining, len(committed), True)]


def test_faults_killed_between_last_article_and_resolve_repaired(corpus_copy, tmp_path,
                                                                 sample_db, capsys):
    db = tmp_path / "unresolved.duckdb"
    script = (
        "import os, signal, sys\n"
        "import newsdesk.ingest\n"
        "module = sys.modules['newsdesk.ingest']  # the package exports a function 'ingest'\n"
        "module.resolve_store = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from newsdesk.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "ingest", str(corpus_copy), "--db",
                           str(db), "-q"], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM articles").fetchall() == [(5,)]
        assert store.con.execute("SELECT count(*) FROM mentions").fetchall() == [(0,)]
    assert cli.main(["ingest", str(corpus_copy), "--db", str(db), "-q"]) == 0
    out = capsys.readouterr().err
    assert "5 articles: 0 parsed, 5 unchanged (cached)" in out  # nothing parsed again ...
    _assert_consistent(db, {p.stem for p in corpus_copy.glob("*.txt")})

    def mentions(path: Path) -> list:  # ... and the resolved tables are whole again
        with Store(path, read_only=True) as store:
            return store.con.execute('SELECT article_id, start, "end", entity_id FROM '
                                     "mentions ORDER BY ALL").fetchall()

    assert mentions(db) == mentions(sample_db)


def test_faults_second_ingest_waits_or_exits_2_never_corrupts(big_corpus, sample_dir,
                                                              tmp_path):
    db = tmp_path / "busy.duckdb"
    first, first_err = _start("ingest", big_corpus, "--db", db, "--batch-size", "4")
    try:
        assert first_err.wait_for(lambda: first_err.progress(N_ARTICLES) >= 1
                                  or first.poll() is not None, timeout=60), first_err.text
        # a third that waits (started now, checked below) and a second that will not wait
        # long: exit 2, naming the store and the process that has it
        third, third_err = _start("ingest", sample_dir, "--db", db, "-q", "--wait", "60")
        second = subprocess.run(
            [*NEWSDESK, "ingest", str(sample_dir), "--db", str(db), "-q", "--wait", "1"],
            capture_output=True, text=True, timeout=60)
        assert first.poll() is None, "the first ingest finished too early for this test"
        assert second.returncode == 2, second.stderr
        assert f"newsdesk: {db}: in use by another process (pid {first.pid}); waiting up to " \
               "1 s" in second.stderr
        assert f"newsdesk: error: {db} is in use by another newsdesk process " \
               f"(pid {first.pid}," in second.stderr
        assert "Traceback" not in second.stderr
        # the third gets the store once the first is gone (killed here, mid-run)
        assert third_err.wait_for(lambda: "waiting up to 60 s" in third_err.text, timeout=30)
        assert third.poll() is None and first.poll() is None
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert third.wait(timeout=120) == 0, third_err.text
    finally:
        _kill(first)
    third_err._thread.join(timeout=5)
    assert "did not finish" in third_err.text
    assert "5 articles: 5 parsed" in third_err.text
    with Store(db, read_only=True) as store:
        ids = [r[0] for r in store.con.execute("SELECT article_id FROM articles").fetchall()]
    assert len(ids) == len(set(ids))
    assert {p.stem for p in sample_dir.glob("*.txt")} <= set(ids)
    assert {i for i in ids if i.startswith("art_")}  # the first run's commits are kept


@pytest.fixture
def tiny_disk(tmp_path):
    """A 120 KiB tmpfs: a real full disk (ENOSPC). Needs root and mount; skipped otherwise."""
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a tiny tmpfs needs Linux, root and mount(8)")
    point = tmp_path / "tiny"
    point.mkdir()
    name = f"newsdesk-{uuid.uuid4().hex[:6]}"
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=120k", name, str(point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_faults_disk_full_clear_error_then_resume(tiny_disk, corpus_copy, sample_db, capsys):
    db = tiny_disk / "store.duckdb"
    status = cli.main(["ingest", str(corpus_copy), "--db", str(db), "-q"])
    err = capsys.readouterr().err
    assert status == 2, err
    [line] = [ln for ln in err.splitlines() if ln.startswith("newsdesk: error: ")]
    assert line.startswith(f"newsdesk: error: {db}: cannot write the store: the disk is full")
    assert "No space left on device" in line
    assert "free some space and run ingest again" in line
    assert "Traceback" not in err
    subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_disk)], check=True)
    with Store(db, read_only=True) as store:
        kept = store.con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    assert 0 < kept < 5  # whole articles were kept, the disk filled up in the middle
    assert cli.main(["ingest", str(corpus_copy), "--db", str(db), "-q"]) == 0
    out = capsys.readouterr().err
    assert f"5 articles: {5 - kept} parsed, {kept} unchanged (cached)" in out
    _assert_consistent(db, {p.stem for p in corpus_copy.glob("*.txt")})
    with Store(db, read_only=True) as store, Store(sample_db, read_only=True) as sample:
        query = 'SELECT article_id, start, "end", entity_id FROM mentions ORDER BY ALL'
        assert store.con.execute(query).fetchall() == sample.con.execute(query).fetchall()
