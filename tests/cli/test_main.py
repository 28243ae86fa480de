import subprocess
import sys

from thesis_lib.cli import build_parser, main


def test_help_lists_every_verb_module(repo_root):
    verbs = sorted(p.stem for p in (repo_root / "thesis_lib" / "cli").glob("*.py")
                   if not p.stem.startswith("_"))
    help_text = build_parser().format_help()
    for verb in verbs:
        assert verb in help_text


def test_no_verb_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "VERB" in capsys.readouterr().out


def test_module_entry_point_runs(repo_root):
    out = subprocess.run([sys.executable, "-m", "thesis_lib.cli", "--version"], cwd=repo_root,
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("thesis_lib ")


def test_user_error_is_one_line_not_a_traceback(capsys, tmp_path):
    status = main(["book", "--chapter", "no_such_chapter", "--no-site",
                   "--build-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert "unknown chapter" in err and "Traceback" not in err
