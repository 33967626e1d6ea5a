"""The benchmark scripts find data as the commands do: nothing defaults to ../shared/data (which
a clone lacks, and which a fetch would then create), and a fetched Anthology checkout is read."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from langgap.data import user_data_dir

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = ("bench_eval", "bench_judge_eval", "bench_response", "bench_survey",
           "bench_survey_learned", "bench_survey_rules")  # fmt: skip
sys.path.insert(0, str(BENCHMARKS))

from bench_data import anthology_xml, data_root  # noqa: E402


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_script_defaults_to_the_shared_folder(script: str) -> None:
    code = (BENCHMARKS / f"{script}.py").read_text(encoding="utf-8")
    assert not re.search(r'"shared"\s*/\s*"data"', code), f"{script}: use bench_data instead"


def test_without_shared_data_the_user_data_dir_is_searched(online: Path) -> None:
    assert data_root(None) == user_data_dir()
    assert data_root(Path("given")) == Path("given")


def test_a_fetched_checkout_and_a_bare_xml_folder_are_both_read(
    tmp_path: Path, online: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGGAP_DATA_DIR", str(tmp_path / "data"))
    checkout = tmp_path / "data" / "acl-anthology"
    (checkout / "data" / "xml").mkdir(parents=True)
    (checkout / "data" / "xml" / "2024.acl.xml").write_text("<collection id='2024.acl'/>")
    assert anthology_xml(None) == checkout / "data"
    assert anthology_xml(checkout / "data") == checkout / "data"
    with pytest.raises(SystemExit, match="no Anthology XML snapshot"):
        anthology_xml(tmp_path)
