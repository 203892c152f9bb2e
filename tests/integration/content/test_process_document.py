"""process-document: PDF, HTML, plain text and Markdown by URL or stored file; an unsupported type fails at once."""

from __future__ import annotations

import pytest

from tests.integration.content.conftest import make_org, make_source, one, run
from tests.integration.content.routes import html_page
from tests.support.http_sink import Reply


def pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF showing ``text`` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def settings_overrides(settings_overrides, tmp_path) -> dict:
    (tmp_path / "docs").mkdir()
    return {**settings_overrides, "CONTENT_DOCUMENT_DIR": str(tmp_path / "docs")}


def _item(raw, source):
    return one(raw, "SELECT title, body FROM content.context_items WHERE source_id = %s", source)


def test_a_pdf_by_url_is_read_with_its_text(app, worker, raw, remote):
    remote.route(
        "GET",
        "/brochure.pdf",
        Reply(body=pdf_with_text("Quarterly brochure"), headers={"Content-Type": "application/pdf"}),
    )
    source = make_source(raw, make_org(raw), f"{remote.url}/brochure.pdf", kind="document")
    result = run(app, "content.process_document", source_id=source)
    assert result["status"] == "succeeded", result["error"]
    assert result["result"]["media_type"] == "application/pdf" and result["result"]["created"] == 1
    assert "Quarterly brochure" in _item(raw, source)[1]


def test_html_and_plain_text_by_url(app, worker, raw, remote):
    remote.route("GET", "/about.html", html_page("About us", "We make things."))
    remote.route(
        "GET", "/notes.txt", Reply(body="Release notes\nEverything is faster.", headers={"Content-Type": "text/plain"})
    )
    org = make_org(raw)
    page = make_source(raw, org, f"{remote.url}/about.html", kind="document")
    notes = make_source(raw, org, f"{remote.url}/notes.txt", kind="document")
    assert run(app, "content.process_document", source_id=page)["status"] == "succeeded"
    assert run(app, "content.process_document", source_id=notes)["status"] == "succeeded"
    assert _item(raw, page) == ("About us", "About us We make things.")
    assert _item(raw, notes) == ("Release notes", "Release notes\nEverything is faster.")


def test_a_stored_markdown_file_is_read_from_the_document_folder_only(app, worker, raw, tmp_path):
    (tmp_path / "docs" / "guide.md").write_text("# Style guide\n\nShort sentences.\n")
    (tmp_path / "outside.md").write_text("# Not yours\n")
    org = make_org(raw)
    guide = make_source(raw, org, "file:guide.md", kind="document")
    escape = make_source(raw, org, "file:../outside.md", kind="document")
    assert run(app, "content.process_document", source_id=guide)["status"] == "succeeded"
    assert _item(raw, guide) == ("Style guide", "# Style guide\n\nShort sentences.")
    refused = run(app, "content.process_document", source_id=escape)
    assert refused["status"] == "failed" and "outside CONTENT_DOCUMENT_DIR" in refused["error"]


def test_an_unsupported_type_fails_at_once_with_the_reason(app, worker, raw, remote, tmp_path):
    remote.route("GET", "/sheet.xlsx", Reply(body=b"PK\x03\x04", headers={"Content-Type": "application/vnd.ms-excel"}))
    (tmp_path / "docs" / "deck.pptx").write_bytes(b"PK\x03\x04")
    org = make_org(raw)
    by_url = run(
        app, "content.process_document", source_id=make_source(raw, org, f"{remote.url}/sheet.xlsx", kind="document")
    )
    by_file = run(app, "content.process_document", source_id=make_source(raw, org, "file:deck.pptx", kind="document"))
    assert by_url["status"] == "failed" and by_url["attempt"] == 1
    assert "content type 'application/vnd.ms-excel' is not one of" in by_url["error"]
    assert by_file["status"] == "failed" and "unsupported document type '.pptx'" in by_file["error"]
