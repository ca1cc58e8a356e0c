"""Crafted zips against the batch intake's guard (invoices/batch.py): refused before any job,
or one refused line each, never a crash, never an unbounded inflation."""

from __future__ import annotations

import io
import zipfile

import pytest

from groupement.invoices import batch
from groupement.invoices.batch import BatchRefused, check_archive, members, pack_folder


def _zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _refusal(content: bytes) -> str:
    with pytest.raises(BatchRefused) as refused:
        check_archive(content, "lot.zip")
    return " ".join(refused.value.reasons)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "remonte hors de l'archive"),
        ("factures/../../x.xml", "remonte hors de l'archive"),
        ("/etc/cron.d/x", "chemin absolu"),
        ("C:\\Windows\\x.xml", "chemin absolu"),
    ],
)
def test_a_dangerous_name_refuses_the_whole_archive(name, expected):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("x")
        info.filename = name  # kept as given (the constructor would clean it)
        archive.writestr(info, b"<x/>")
    assert expected in _refusal(buffer.getvalue())


def test_a_nul_byte_in_a_name_never_reaches_the_report():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("x")
        info.filename = "facture\x00.exe"
        archive.writestr(info, b"<x/>")
    assert [m.name for m in members(buffer.getvalue(), "lot.zip")] == ["facture"]  # zipfile cuts at the NUL


def test_not_a_zip_empty_or_damaged_is_named():
    assert "n'est pas une archive ZIP" in _refusal(b"%PDF-1.7 ...")
    assert "aucun fichier" in _refusal(_zip({"__MACOSX/._f.xml": b"x", "dossier/": b""}))
    assert "endommagée" in _refusal(b"PK\x03\x04" + b"\x00" * 40)


def test_too_many_members_refuse_the_archive(monkeypatch):
    monkeypatch.setattr(batch, "MAX_MEMBERS", 3)
    assert "trop de fichiers dans l'archive (4 ; 3 au plus" in _refusal(_zip({f"f{i}.xml": b"<x/>" for i in range(4)}))


def test_an_encrypted_member_refuses_the_archive():
    content = bytearray(_zip({"f.xml": b"<x/>"}, zipfile.ZIP_STORED))
    content[6] |= 0x1  # local header flag
    central = content.rfind(b"PK\x01\x02")
    content[central + 8] |= 0x1  # central directory flag
    assert "chiffré" in _refusal(bytes(content))


def test_a_declared_total_beyond_the_budget_refuses_the_archive(monkeypatch):
    monkeypatch.setattr(batch, "MAX_TOTAL_BYTES", 1000)
    assert "trop volumineuse une fois décompressée" in _refusal(_zip({"a.xml": b"a" * 600, "b.xml": b"b" * 600}))


def test_a_decompression_bomb_stops_at_the_ratio_whatever_it_declares(monkeypatch):
    bomb = _zip({"bombe.xml": b"<" + b"a" * (5 * 1024 * 1024) + b"/>"})
    assert check_archive(bomb, "lot.zip") == 1
    (member,) = members(bomb, "lot.zip")
    assert member.content is None and "taux de compression anormal" in member.refusal


def test_a_nested_archive_is_one_refused_line_and_an_xlsx_is_an_invoice_file():
    from openpyxl import Workbook

    workbook = io.BytesIO()
    Workbook().save(workbook)
    content = _zip(
        {
            "inner.zip": _zip({"f.xml": b"<x/>"}),
            "renamed.pdf": _zip({"f.xml": b"<x/>"}),
            "modele.xlsx": workbook.getvalue(),
        }
    )
    found = {m.name: m for m in members(content, "lot.zip")}
    assert "archive imbriquée" in found["inner.zip"].refusal
    assert "archive imbriquée" in found["renamed.pdf"].refusal
    assert found["modele.xlsx"].content == workbook.getvalue()


def test_a_folder_is_packed_without_its_links_and_system_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.xml").write_bytes(b"<a/>")
    (tmp_path / "sub" / "b.pdf").write_bytes(b"%PDF-")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    (tmp_path / "lien.xml").symlink_to(tmp_path / "a.xml")
    content, left_out = pack_folder(tmp_path)
    assert [m.name for m in members(content, "dossier.zip")] == ["a.xml", "sub/b.pdf"]
    assert left_out == ["lien.xml (lien symbolique)"]
    with pytest.raises(BatchRefused):
        pack_folder(tmp_path / "a.xml")
