"""Container exhibits (folder, ZIP, TAR): members listed safely, hostile archives refused."""

from __future__ import annotations

import io
import tarfile
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
