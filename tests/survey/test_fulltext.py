"""Full-text labels: polite resumable PDF fetching, text extraction, re-annotation."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("pypdf", reason="the full-text path needs pypdf (pip install pypdf)")
fpdf = pytest.importorskip("fpdf", reason="test PDFs are generated with fpdf2 (pip install fpdf2)")

from langgap.survey.annotate import RuleAnnotator  # noqa: E402
from langgap.survey.fulltext import (  # noqa: E402
    FullText,
    PdfTextError,
    annotate_fulltext,
    apply_fulltext,
    extract_text,
    fetch_pdfs,
    pdf_url,
)
from langgap.survey.models import Paper  # noqa: E402
from langgap.survey.pdf_fetch import pdf_path  # noqa: E402

FAST = {"delay": 0.0, "backoff": 0.01, "timeout": 5}

PAGES = [
    # Page 1: the title block names "Chinese" (an affiliation): it must not count.
    "Refusal Under Pressure\nAnna Author, Chinese Academy of Sciences\nAbstract\n"
    "We study refusals of chat models.\n1 Introduction\nChat models refuse harmful requests.",
    "2 Method\nAll prompts are written in English.\nWe also paraphrase the English prompts.\n"
    "References\nSmith. 2020. A German and French corpus. French and German again.",
    "Jones. 2021. Russian and Russian text.\nA Appendix\nFurther English examples.",
]


def make_pdf(pages: list[str]) -> bytes:
    """A small multi-page PDF with one text block per page."""
    pdf = fpdf.FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


@dataclass
class Server:
    """A local HTTP server whose routes answer from a script of (status, body) replies."""

    base: str
    routes: dict[str, list[tuple[int, bytes]]]
    log: list[tuple[str, str]] = field(default_factory=list)  # (path, user agent)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.log if p == path)


@pytest.fixture
def server() -> Iterator[Server]:
    routes: dict[str, list[tuple[int, bytes]]] = {}
    log: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.append((self.path, self.headers.get("User-Agent", "")))
            script = routes.get(self.path, [(404, b"not found")])
            status, body = script.pop(0) if len(script) > 1 else script[0]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", routes, log)
    finally:
        httpd.shutdown()
        httpd.server_close()


def paper(pid: str, url: str | None, abstract: str = "We study refusals of chat models.") -> Paper:
    return Paper(id=pid, title="Refusal Under Pressure", abstract=abstract, year=2023, url=url)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- fetching ------------------------------------------------------------------------------------


def test_pdf_url_follows_the_anthology_rule() -> None:
    assert pdf_url(paper("a", "https://aclanthology.org/2023.acl-long.1")) == (
        "https://aclanthology.org/2023.acl-long.1.pdf"
    )
    assert pdf_url(paper("b", "https://aclanthology.org/P19-1001/")) == (
        "https://aclanthology.org/P19-1001.pdf"
    )
    assert pdf_url(paper("c", "https://example.org/x.pdf")) == "https://example.org/x.pdf"
    assert pdf_url(paper("d", "https://example.org/about")) is None
    assert pdf_url(paper("e", None)) is None


def test_fetch_retries_5xx_not_404_and_resumes(server: Server, tmp_path: Path) -> None:
    good = make_pdf(PAGES)
    server.routes["/2023.acl-long.1.pdf"] = [(200, good)]
    server.routes["/2023.acl-long.2.pdf"] = [(503, b"busy"), (503, b"busy"), (200, good)]
    papers = [
        paper("2023.acl-long.1", f"{server.base}/2023.acl-long.1"),
        paper("2023.acl-long.2", f"{server.base}/2023.acl-long.2"),
        paper("2023.acl-long.3", f"{server.base}/2023.acl-long.3"),  # 404
        paper("no-url", None),
        paper("odd-url", f"{server.base}/about"),
    ]
    report = fetch_pdfs(papers, tmp_path, **FAST)
    status = report.by_id()
    assert status["2023.acl-long.1"].status == "downloaded"
    assert status["2023.acl-long.2"].status == "downloaded"
    assert status["2023.acl-long.2"].attempts == 3
    assert status["2023.acl-long.3"].status == "failed"
    assert "HTTP 404" in status["2023.acl-long.3"].reason
    assert server.hits("/2023.acl-long.3.pdf") == 1  # a 404 is final: no retry
    assert status["no-url"].status == "no_url" and status["no-url"].reason == "no URL"
    assert (
        status["odd-url"].status == "no_url" and "no known PDF address" in status["odd-url"].reason
    )
    assert report.counts == {"cached": 0, "downloaded": 2, "failed": 1, "offline": 0, "no_url": 2}
    assert all("langgap" in agent for _, agent in server.log)
    assert (tmp_path / "2023.acl-long.1.pdf").read_bytes() == good
    assert not list(tmp_path.glob("*.part"))

    requests_before = len(server.log)
    again = fetch_pdfs(papers, tmp_path, **FAST)
    assert again.counts["cached"] == 2 and again.counts["downloaded"] == 0
    assert len(server.log) == requests_before + 1  # only the 404 is asked again


def test_leftover_part_file_is_replaced(server: Server, tmp_path: Path) -> None:
    good = make_pdf(PAGES)
    server.routes["/2023.acl-long.1.pdf"] = [(200, good)]
    item = paper("2023.acl-long.1", f"{server.base}/2023.acl-long.1")
    part = pdf_path(tmp_path, item).with_suffix(".pdf.part")
    part.write_bytes(b"%PDF-1.4 half a download from a killed run" * 100)
    report = fetch_pdfs([item], tmp_path, **FAST)
    assert report.results[0].status == "downloaded"
    assert pdf_path(tmp_path, item).read_bytes() == good
    assert not part.exists()


def test_requests_to_one_host_are_spaced(server: Server, tmp_path: Path) -> None:
    good = make_pdf(PAGES)
    papers = [paper(f"2023.acl-long.{i}", f"{server.base}/2023.acl-long.{i}") for i in range(3)]
    for i in range(3):
        server.routes[f"/2023.acl-long.{i}.pdf"] = [(200, good)]
    started = time.monotonic()
    report = fetch_pdfs(papers, tmp_path, delay=0.2, concurrency=3, offline_check=False)
    assert report.counts["downloaded"] == 3
    assert time.monotonic() - started >= 0.4  # three requests, 0.2 s apart, despite concurrency


def test_non_pdf_answer_is_a_failure(server: Server, tmp_path: Path) -> None:
    server.routes["/2023.acl-long.1.pdf"] = [(200, b"<html>login</html>")]
    report = fetch_pdfs([paper("x", f"{server.base}/2023.acl-long.1")], tmp_path, **FAST)
    assert report.results[0].status == "failed"
    assert "did not return a PDF" in report.results[0].reason
    assert not list(tmp_path.iterdir())


def test_offline_returns_at_once(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    cached = paper("2023.acl-long.9", f"{base}/2023.acl-long.9")
    pdf_path(tmp_path, cached).write_bytes(make_pdf(PAGES))
    papers = [paper(f"2023.acl-long.{i}", f"{base}/2023.acl-long.{i}") for i in range(100, 120)]
    started = time.monotonic()
    report = fetch_pdfs([*papers, cached], tmp_path, timeout=30)
    assert time.monotonic() - started < 5
    assert report.offline
    assert "offline" in report.message
    assert report.counts["offline"] == 20 and report.counts["cached"] == 1


def test_one_url_per_host_is_probed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from langgap.survey import pdf_fetch

    asked: list[list[str]] = []

    def only_https_b(urls: list[str], _timeout: float | None = None) -> set[str]:
        asked.append(list(urls))
        return {u for u in urls if u.startswith("https://b.invalid/")}

    monkeypatch.setattr(pdf_fetch, "reachable_urls", only_https_b)
    papers = [paper(f"2023.acl-long.{i}", f"http://a.invalid/{i}.pdf") for i in range(20)]
    papers += [paper(f"2023.acl-long.{i}", f"https://b.invalid/{i}.pdf") for i in range(20, 22)]
    papers += [paper("2023.acl-long.30", "http://b.invalid/30.pdf")]  # another scheme: own probe
    monkeypatch.setattr(pdf_fetch._Fetcher, "fetch_all", _none_fetched)
    report = fetch_pdfs(papers, tmp_path, timeout=30)
    assert [len(urls) for urls in asked] == [3]
    assert report.counts["offline"] == 21  # a.invalid's 20, and b.invalid:80's one
    assert "a.invalid:80, b.invalid:80 did not answer" in report.message


async def _none_fetched(self: object, jobs: list[tuple[Paper, str]], _n: int) -> list[object]:
    from langgap.survey.pdf_fetch import PdfStatus

    return [
        PdfStatus(p.id, "failed", url=url, reason="not fetched in this test") for p, url in jobs
    ]


def test_dropped_packets_cost_one_probe_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF hosts are probed like the data sets' (LANGGAP_CONNECT_TIMEOUT), all at once."""
    from langgap.data import network

    def dropped(*_: object, **__: object) -> None:
        time.sleep(5)
        raise OSError("no answer")

    monkeypatch.setattr(network.socket, "create_connection", dropped)
    monkeypatch.setenv("LANGGAP_CONNECT_TIMEOUT", "0.3")
    papers = [paper(f"2023.acl-long.{i}", f"http://host{i}.invalid/2023.acl-long.{i}")
              for i in range(5)]  # fmt: skip
    started = time.monotonic()
    report = fetch_pdfs(papers, tmp_path, timeout=30)
    assert time.monotonic() - started < 1.5  # one 0.3 s wait for the five hosts
    assert report.offline and "did not answer within 0.3 s" in report.message
    # each host named once, with the port its URL's scheme gives
    assert "host0.invalid:80, host1.invalid:80," in report.message
    assert report.results[0].reason == "host0.invalid:80 unreachable (offline?)"


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        fetch_pdfs([], tmp_path, concurrency=0)


# --- extraction ----------------------------------------------------------------------------------


def test_extract_text_pages_references_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(make_pdf(PAGES))
    text = extract_text(pdf)
    assert len(text.pages) == 3
    assert text.references is not None and text.references.page == 2
    assert text.appendix is not None and text.appendix.page == 3
    body = " ".join(piece for _, _, piece in text.body())
    assert "English" in body and "Further English" in body
    assert "German" not in body and "Russian" not in body and "Chinese Academy" not in body
    assert "German" in text.references_text()
    assert (tmp_path / "p.pdf.text.json").is_file()

    def no_parse(path: Path) -> list[str]:
        raise AssertionError("the cached text should have been used")

    monkeypatch.setattr("langgap.survey.pdf_text._read_pdf", no_parse)
    assert extract_text(pdf).pages == text.pages


def test_damaged_pdf_gives_a_clear_error(tmp_path: Path) -> None:
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(make_pdf(PAGES)[:300])
    with pytest.raises(PdfTextError, match=r"broken\.pdf: not a readable PDF"):
        extract_text(pdf)


# --- annotation ----------------------------------------------------------------------------------


def test_annotate_fulltext_documents_english_with_page_evidence() -> None:
    item = paper("p", None)
    labels = RuleAnnotator().annotate(item)
    assert labels.group == "english_only" and not labels.documented
    result = annotate_fulltext(item, labels, FullText.from_pages(PAGES))
    out = result.labels
    assert result.source == "fulltext"
    assert out.languages == ("eng",) and out.group == "english_only" and out.documented
    fields = {e.field for e in out.evidence["languages"]}
    assert fields == {"fulltext:p2", "fulltext:p3"}
    first = out.evidence["languages"][0]
    assert first.field == "fulltext:p2" and first.text == "English"
    assert PAGES[1][first.start : first.end] == "English"  # offsets are within the page
    assert all(e.note.endswith("source=fulltext") for e in out.evidence["languages"])


def test_body_languages_need_two_places_and_keep_the_abstract() -> None:
    item = paper("p", None, abstract="We red-team chat models in Bengali.")
    labels = RuleAnnotator().annotate(item)
    pages = [
        "Abstract\nWe red-team chat models in Bengali.",
        "Prompts were translated from English. English originals are kept. Hindi once.",
        "References\nHindi Hindi Hindi corpus.",
    ]
    out = annotate_fulltext(item, labels, FullText.from_pages(pages)).labels
    assert out.languages == ("ben", "eng")  # Hindi: once in the body, the rest is references
    assert out.group == "multilingual"
    notes = [e.note for e in out.evidence["languages"]]
    assert any(n.endswith("source=abstract") for n in notes)
    assert any(n.endswith("source=fulltext") for n in notes)


def test_body_only_language_replaces_the_assumed_english() -> None:
    item = paper("p", None)
    labels = RuleAnnotator().annotate(item)
    pages = ["Abstract\nWe study refusals.\nAll prompts are Korean. Korean speakers rated them."]
    out = annotate_fulltext(item, labels, FullText.from_pages(pages)).labels
    assert out.languages == ("kor",) and out.group == "non_english" and out.documented


# --- end to end ----------------------------------------------------------------------------------


def test_apply_fulltext_falls_back_per_paper(server: Server, tmp_path: Path) -> None:
    good = make_pdf(PAGES)
    server.routes["/2023.acl-long.1.pdf"] = [(200, good)]
    server.routes["/2023.acl-long.3.pdf"] = [(200, good[:400])]  # starts with %PDF, then breaks
    papers = [paper(f"2023.acl-long.{i}", f"{server.base}/2023.acl-long.{i}") for i in (1, 2, 3)]
    pairs = [(p, RuleAnnotator().annotate(p)) for p in papers]
    labels, summary = apply_fulltext(pairs, tmp_path, **FAST)
    assert summary.sources == ["fulltext", "abstract", "abstract"]
    assert [p.status for p in summary.papers] == ["downloaded", "failed", "damaged"]
    assert "broken" in summary.papers[2].reason or "not a readable PDF" in summary.papers[2].reason
    assert labels[0].documented and not labels[1].documented
    assert (tmp_path / "2023.acl-long.3.pdf.damaged").is_file()  # set aside: refetched next run
    assert "1 of 3" in summary.message and not summary.offline


def test_apply_fulltext_offline_keeps_abstract_labels(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    papers = [paper(f"2023.acl-long.{i}", f"{base}/2023.acl-long.{i}") for i in range(3)]
    pairs = [(p, RuleAnnotator().annotate(p)) for p in papers]
    labels, summary = apply_fulltext(pairs, tmp_path)
    assert summary.offline and "offline" in summary.message
    assert summary.sources == ["abstract"] * 3
    assert summary.counts == {"offline": 3}
    assert [lab.languages for lab in labels] == [lab.languages for _, lab in pairs]
