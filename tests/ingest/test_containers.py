"""Container exhibits (folder, ZIP, TAR): members listed safely, hostile archives refused."""

from __future__ import annotations

import gzip
import io
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from threadline.errors import HostileInput, IngestError
from threadline.ingest.containers import (
    ContainerLimits,
    copy_tree_member,
    open_container,
    safe_member_name,
)


def _zip(path: Path, members: dict[str, bytes], *, level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_members_read_by_relative_path(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", {"report.xml": b"<project/>", "files/Image/a.jpg": b"jpeg"})
    container = open_container(path, "a.zip")
    try:
        assert [(m.name, m.size) for m in container.members()] == [
            ("report.xml", 10),
            ("files/Image/a.jpg", 4),
        ]
        member = container.members()[1]
        assert member.basename == "a.jpg"
        with container.open(member) as stream:
            assert stream.read() == b"jpeg"
        copy = copy_tree_member(container, member, tmp_path / "scratch")
        assert copy == tmp_path / "scratch" / "files" / "Image" / "a.jpg"
        assert copy.read_bytes() == b"jpeg"
    finally:
        container.close()


@pytest.mark.parametrize(
    "name", ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:/Windows/x", "..\\evil.txt"]
)
def test_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    path = _zip(tmp_path / "bad.zip", {"ok.txt": b"x", name: b"y"})
    with pytest.raises(HostileInput) as caught:
        open_container(path, "bad.zip")
    assert caught.value.path == "bad.zip"
    assert caught.value.locator == f"member={name!r}"
    assert "path traversal" in str(caught.value)


def test_safe_names_keep_windows_separators_as_folders() -> None:
    assert safe_member_name("files\\Image\\a.jpg", container="x") == "files/Image/a.jpg"
    assert safe_member_name("./report.xml", container="x") == "report.xml"


def test_zip_bomb_by_ratio_is_refused(tmp_path: Path) -> None:
    # 20 MiB of zeros deflates to about 20 KiB: a ratio near 1000, above the default 200
    path = _zip(tmp_path / "bomb.zip", {"zeros.bin": bytes(20 * 1024**2)}, level=9)
    with pytest.raises(HostileInput, match=r"expands .* times"):
        open_container(path, "bomb.zip")


def test_ratio_limit_is_configurable(tmp_path: Path) -> None:
    path = _zip(tmp_path / "zeros.zip", {"zeros.bin": bytes(2 * 1024**2)}, level=9)
    lenient = open_container(path, "zeros.zip", ContainerLimits(max_ratio=10_000))
    lenient.close()
    with pytest.raises(HostileInput):
        open_container(path, "zeros.zip", ContainerLimits(max_ratio=50))


def test_declared_size_limit(tmp_path: Path) -> None:
    path = _zip(tmp_path / "big.zip", {"a": b"x" * 1000, "b": b"y" * 1000})
    with pytest.raises(HostileInput, match="more than the limit of 1500"):
        open_container(path, "big.zip", ContainerLimits(max_total_bytes=1500))
    with pytest.raises(HostileInput, match=r"member=.a."):
        open_container(path, "big.zip", ContainerLimits(max_member_bytes=999))


def test_encrypted_zip_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "locked.zip"
    _zip(path, {"secret.txt": b"cipher"})
    # set the "encrypted" flag bit, as a password-protected export does (zipfile cannot write
    # one): general purpose flags sit 6 bytes into the local header and 8 into the central one
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(IngestError, match="encrypted"):
        open_container(path, "locked.zip")


def test_tar_links_are_skipped_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "fs.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = b"hello"
        info = tarfile.TarInfo("data/a.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("data/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    container = open_container(path, "fs.tar.gz")
    try:
        assert [m.name for m in container.members()] == ["data/a.txt"]
        assert container.skipped == ["data/passwd"]
        with container.open(container.members()[0]) as stream:
            assert stream.read() == b"hello"
    finally:
        container.close()


def test_tar_traversal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.tar"
    with tarfile.open(path, "w") as archive:
        info = tarfile.TarInfo("../../etc/cron.d/x")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(HostileInput):
        open_container(path, "bad.tar")


def test_folder_lists_files_and_skips_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "extraction"
    (root / "data" / "db").mkdir(parents=True)
    (root / "data" / "db" / "sms.db").write_bytes(b"123")
    (root / "outside").symlink_to("/etc")
    container = open_container(root, "JB/4")
    assert [(m.name, m.size) for m in container.members()] == [("data/db/sms.db", 3)]
    assert container.skipped == ["outside"]


def test_other_files_are_not_containers(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("plain text")
    with pytest.raises(IngestError, match="not a folder, ZIP or TAR"):
        open_container(path, "notes.txt")


# -- compressed TARs and extended headers ---------------------------------------------------


def _tar_of_zeroes(path: Path, mode: str, size: int) -> Path:
    with tarfile.open(path, mode) as archive:  # type: ignore[call-overload]
        info = tarfile.TarInfo("data/zeroes.bin")
        info.size = size
        archive.addfile(info, io.BytesIO(bytes(size)))
    return path


@pytest.mark.parametrize(("mode", "suffix"), [("w:gz", "tar.gz"), ("w:bz2", "tar.bz2")])
def test_compressed_tar_bomb_is_refused(tmp_path: Path, mode: str, suffix: str) -> None:
    # 30 MB of zeroes compresses to well under 150 KB, so the ratio is far above 200
    path = _tar_of_zeroes(tmp_path / f"bomb.{suffix}", mode, 30 * 1024**2)
    assert path.stat().st_size * 200 < 30 * 1024**2
    with pytest.raises(HostileInput, match="decompression bomb") as caught:
        open_container(path, f"bomb.{suffix}")
    assert caught.value.path == f"bomb.{suffix}"


def test_compressed_tar_ratio_limit_is_configurable(tmp_path: Path) -> None:
    path = _tar_of_zeroes(tmp_path / "big.tar.gz", "w:gz", 30 * 1024**2)
    container = open_container(path, "big.tar.gz", ContainerLimits(max_ratio=1e9))
    try:
        assert [(m.name, m.size) for m in container.members()] == [
            ("data/zeroes.bin", 30 * 1024**2)
        ]
    finally:
        container.close()


def test_plain_tar_of_zeroes_is_not_ratio_checked(tmp_path: Path) -> None:
    # an uncompressed TAR is as large as what it holds: there is no bomb to fear
    path = _tar_of_zeroes(tmp_path / "plain.tar", "w", 2 * 1024**2)
    container = open_container(path, "plain.tar")
    try:
        assert [m.size for m in container.members()] == [2 * 1024**2]
    finally:
        container.close()


def _tar_with_pax_header(path: Path, payload: bytes, *, compress: bool = False) -> Path:
    """A TAR whose first header is a PAX extended header holding ``payload`` as written."""
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    pax.size = len(payload)
    member = tarfile.TarInfo("a.txt")
    member.size = 1
    raw = (
        pax.tobuf(format=tarfile.USTAR_FORMAT)
        + payload
        + bytes(-len(payload) % 512)
        + member.tobuf(format=tarfile.USTAR_FORMAT)
        + b"a"
        + bytes(511 + 1024)
    )
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_oversized_pax_header_is_refused_quickly(tmp_path: Path, compress: bool) -> None:
    # CVE-2024-6232: CPython 3.11.7 parses PAX headers in quadratic time (200 KB: 34 s)
    path = _tar_with_pax_header(tmp_path / "pax.tar", b"1" * (2 * 1024**2), compress=compress)
    started = time.monotonic()
    with pytest.raises(HostileInput, match="CVE-2024-6232") as caught:
        open_container(path, "pax.tar")
    assert time.monotonic() - started < 2
    assert caught.value.path == "pax.tar"


@pytest.mark.parametrize(
    "payload",
    [
        b"1" * 65536,  # one run of digits: tarfile takes about 3.5 s on this
        b"2 " * 32768,  # records two bytes long: each step rescans to the end
        b"20 path=" + b"x" * 100 + b"\n",  # a record whose length does not match
    ],
)
def test_malformed_pax_header_is_refused_quickly(tmp_path: Path, payload: bytes) -> None:
    path = _tar_with_pax_header(tmp_path / "pax.tar", payload)
    started = time.monotonic()
    with pytest.raises(HostileInput, match="PAX extended header is malformed"):
        open_container(path, "pax.tar")
    assert time.monotonic() - started < 2


def test_well_formed_pax_headers_are_read(tmp_path: Path) -> None:
    path = tmp_path / "pax.tar.xz"
    long_name = "data/" + "very-long-folder-name/" * 10 + "Ünïcode.txt"
    with tarfile.open(path, "w:xz", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(long_name)
        info.size = 5
        info.pax_headers = {"comment": "fictional test archive"}
        archive.addfile(info, io.BytesIO(b"hello"))
    container = open_container(path, "pax.tar.xz")
    try:
        assert [(m.name, m.size) for m in container.members()] == [(long_name, 5)]
        with container.open(container.members()[0]) as stream:
            assert stream.read() == b"hello"
    finally:
        container.close()
