"""Benchmark: Threadline's Cellebrite UFDR ingest against a bare lxml pass over the same report.

A synthetic UFDR is generated whose ``report.xml`` is ``--size-mb`` MB of realistic models
(contacts with two numbers, calls with parties, SMS, WhatsApp chats of twenty messages with
senders, recipients and the odd attachment, locations), templated and varied (ids, numbers,
times, bodies), pretty-printed as Physical Analyzer writes it, and streamed straight into the ZIP.
Then two measurements run, each in a fresh subprocess so its peak memory (ru_maxrss) is its own:

* **bare** -- ``lxml.etree.iterparse`` over the same ``report.xml`` member, streamed from the
  ZIP, every element's end event read, each element cleared and processed siblings dropped (the
  memory-flat idiom): the cost of only parsing the XML;
* **threadline** -- the full ingest service on the UFDR (registered first, untimed): the
  Cellebrite parser, canonical rows with E.164 numbers, UTC times, raw records in
  ``source_rows``, media hashing, and the atomic Parquet write of the evidence store. With the
  default settings the report is read by two processes (``THREADLINE_INGEST_WORKERS``, see
  ``threadline.ingest.shares``): the CPU time and peak memory printed count both.

It prints MB/s and peak RSS for both and the ratio (by wall time, which is what the user waits;
the goal). Figures, not a timed test::

    .venv/bin/python benchmarks/ingest_ufdr.py --size-mb 200
    .venv/bin/python benchmarks/ingest_ufdr.py            # 2048 MB

The generated UFDR and the benchmark workspace are deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
NS = "http://pa.cellebrite.com/report/2.0"
WORDS = (
    "van",
    "unit",
    "meet",
    "later",
    "cash",
    "keys",
    "address",
    "tonight",
    "drive",
    "tomorrow",
    "collect",
    "room",
    "house",
    "money",
    "shift",
    "work",
    "sorted",
    "ready",
    "outside",
    "station",
    "back",
    "wait",
    "call",
    "phone",
    "docs",
    "boss",
    "rent",
    "food",
    "car",
    "where",
    "when",
    "now",
    "soon",
    "yes",
    "no",
    "ok",
    "fine",
    "thanks",
    "bro",
    "mate",
    "morning",
    "evening",
    "late",
    "early",
)
OWNER = "447700900123"


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp(seconds: int) -> str:
    moment = time.gmtime(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", moment) + f".{seconds % 1000:03d}+00:00"


def _value(kind: str, text: str) -> str:
    if kind == "TimeStamp":
        return (
            f'<value type="TimeStamp" format="TimeStampKnown" '
            f'formattedTimestamp="{text[:19]}+00:00">{text}</value>'
        )
    return f'<value type="{kind}"><![CDATA[{text}]]></value>'


def _field(indent: str, name: str, text: str | None, kind: str = "String") -> str:
    inner = "<empty />" if text is None else _value(kind, text)
    return f'{indent}<field name="{name}" type="{kind}">\n{indent}  {inner}\n{indent}</field>\n'


def _open_model(indent: str, kind: str, rng: random.Random, deleted: str = "Intact") -> str:
    return (
        f'{indent}<model type="{kind}" id="{_uid(rng)}" deleted_state="{deleted}" '
        f'decoding_confidence="High" isrelated="False" source_index="{rng.randrange(10**6)}" '
        f'extractionId="0">\n'
    )


def _party(
    indent: str,
    rng: random.Random,
    number: str,
    name: str,
    role: str,
    owner: bool,
    receipts: str | None = None,
) -> str:
    inner = indent + "  "
    dates = ""
    if receipts is not None:  # a recipient's delivery and read times, as WhatsApp records them
        dates = _field(inner, "DateDelivered", receipts, "TimeStamp") + _field(
            inner, "DateRead", receipts, "TimeStamp"
        )
    return (
        _open_model(indent, "Party", rng, "Unknown")
        + _field(inner, "UserMapping", None, "DecodingSourceOptions")
        + _field(inner, "Identifier", number)
        + _field(inner, "Role", role, "PartyRole")
        + _field(inner, "Name", name)
        + dates
        + _field(inner, "IsPhoneOwner", "True" if owner else "False", "Boolean")
        + _field(inner, "IsGroupAdmin", None, "Boolean")
        + f"{indent}</model>\n"
    )


def _empty_multi(indent: str, name: str, kind: str) -> str:
    return f'{indent}<multiModelField name="{name}" type="{kind}" />\n'


class Generator:
    """Writes templated, varied models (deterministic for a seed)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.clock = 1_780_000_000

    def number(self) -> str:
        return f"4477009{self.rng.randrange(1000):05d}"[:12]

    def name(self) -> str:
        return self.rng.choice(["Aisha", "Mo", "Kai", "Dave", "Sam", "Lee", "Ana", "Tom"])

    def body(self) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(2, 14)))

    def tick(self) -> int:
        self.clock += self.rng.randint(5, 900)
        return self.clock

    def contact(self) -> str:
        i = "      "
        entries = "".join(
            _open_model(i + "    ", "PhoneNumber", self.rng)
            + _field(i + "      ", "Category", "Mobile")
            + _field(i + "      ", "Value", "07700 9" + self.number()[-5:])
            + _field(i + "      ", "Domain", "Phone")
            + f"{i}    </model>\n"
            for _ in range(2)
        )
        return (
            _open_model(i, "Contact", self.rng)
            + _field(i + "  ", "Source", "Phone")
            + _field(i + "  ", "Name", self.name() + " " + self.rng.choice(WORDS).title())
            + f'{i}  <multiModelField name="Entries" type="ContactEntry">\n{entries}'
            + f"{i}  </multiModelField>\n{i}</model>\n"
        )

    def call(self) -> str:
        i = "      "
        outgoing = self.rng.random() < 0.5
        direction = "Outgoing" if outgoing else "Incoming"
        party = _party(
            i + "    ",
            self.rng,
            "+" + self.number(),
            self.name(),
            "To" if outgoing else "From",
            False,
        )
        seconds = self.rng.randrange(3600)
        return (
            _open_model(i, "Call", self.rng)
            + _field(i + "  ", "Source", "Phone")
            + _field(i + "  ", "Direction", direction, "CallDirection")
            + _field(i + "  ", "Type", direction, "CallType")
            + _field(i + "  ", "Status", "Established", "CallStatus")
            + _field(i + "  ", "TimeStamp", _stamp(self.tick()), "TimeStamp")
            + _field(
                i + "  ",
                "Duration",
                f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                "TimeSpan",
            )
            + _field(i + "  ", "VideoCall", "False", "Boolean")
            + f'{i}  <multiModelField name="Parties" type="Party">\n{party}'
            + f"{i}  </multiModelField>\n{i}</model>\n"
        )

    def sms(self) -> str:
        i = "      "
        inbox = self.rng.random() < 0.6
        party = _party(
            i + "    ", self.rng, "+" + self.number(), self.name(), "From" if inbox else "To", False
        )
        return (
            _open_model(i, "SMS", self.rng)
            + _field(i + "  ", "Source", None)
            + _field(i + "  ", "TimeStamp", _stamp(self.tick()), "TimeStamp")
            + f'{i}  <multiModelField name="Parties" type="Party">\n{party}'
            + f"{i}  </multiModelField>\n"
            + _field(i + "  ", "Body", self.body())
            + _field(i + "  ", "Folder", "Inbox" if inbox else "Sent")
            + _field(i + "  ", "Status", "Read" if inbox else "Sent", "MessageStatus")
            + f"{i}</model>\n"
        )

    def message(self, other: str, other_name: str) -> str:
        """An InstantMessage laid out as in IPED's real fragment (ufed-model-chat.xml)."""
        i = "          "
        j = i + "  "
        outgoing = self.rng.random() < 0.45
        me = OWNER + "@s.whatsapp.net"
        sent = self.tick()
        sender = _party(
            i + "    ",
            self.rng,
            me if outgoing else other,
            "" if outgoing else other_name,
            "From",
            outgoing,
        )
        receiver = ""
        if outgoing:  # received messages carry no To party, as in the fragment
            receiver = _party(
                i + "    ", self.rng, other, other_name, "To", False, _stamp(sent + 2)
            )
        attachment = jump = ""
        if self.rng.random() < 0.1:
            name = f"IMG-2026{self.rng.randrange(10**6):06d}-WA{self.rng.randrange(9999):04d}.jpg"
            file_id = _uid(self.rng)
            attachment = (
                _open_model(i + "    ", "Attachment", self.rng)[:-2]
                + f' file_id="{file_id}">\n'
                + _field(i + "      ", "Filename", name)
                + _field(i + "      ", "ContentType", "image/jpeg")
                + f'{i}      <dataField name="Data" type="MemoryRange">\n'
                + f'{i}        <source length="{self.rng.randrange(10**4, 10**6)}" />\n'
                + f"{i}      </dataField>\n"
                + _field(i + "      ", "URL", "https://mmg.whatsapp.net/v/t62.7118-24/" + file_id)
                + _field(i + "      ", "Title", None)
                + _field(i + "      ", "Transcript", None)
                + _field(i + "      ", "attachment_extracted_path", "files\\Image\\" + name)
                + f"{i}    </model>\n"
            )
            jump = (
                f'{j}<jumptargets name="">\n{j}  <targetid ismodel="false">'
                f"<![CDATA[{file_id}]]></targetid>\n{j}</jumptargets>\n"
            )
        return (
            _open_model(i, "InstantMessage", self.rng)
            + _field(j, "UserMapping", "Decoding", "DecodingSourceOptions")
            + _field(j, "Source", "WhatsApp")
            + _field(j, "ServiceIdentifier", None)
            + f'{j}<modelField name="From" type="Party">\n{sender}{j}</modelField>\n'
            + (
                f'{j}<multiModelField name="To" type="Party">\n{receiver}{j}</multiModelField>\n'
                if receiver
                else _empty_multi(j, "To", "Party")
            )
            + _field(j, "Body", self.body())
            + _field(j, "Identifier", uuid.UUID(int=self.rng.getrandbits(128)).hex.upper())
            + _field(j, "TimeStamp", _stamp(sent), "TimeStamp")
            + f'{j}<modelField name="Attachment" type="Attachment">\n{j}  <empty />\n'
            + f"{j}</modelField>\n"
            + (
                f'{j}<multiModelField name="Attachments" type="Attachment">\n{attachment}'
                f"{j}</multiModelField>\n"
                if attachment
                else _empty_multi(j, "Attachments", "Attachment")
            )
            + _field(j, "Status", "Sent" if outgoing else "Read", "MessageStatus")
            + _empty_multi(j, "SharedContacts", "Contact")
            + _field(j, "Platform", "Mobile", "Platform")
            + _field(j, "Type", "AppMessage", "InstantMessageType")
            + _field(j, "IsLocationSharing", None, "Boolean")
            + _empty_multi(j, "EmbeddedInstantMessage", "InstantMessage")
            + _field(j, "SourceApplication", "WhatsApp")
            + _empty_multi(j, "EmbeddedInstantMessage", "InstantMessage")
            + jump
            + f"{i}</model>\n"
        )

    def chat(self) -> str:
        i = "      "
        other = self.number() + "@s.whatsapp.net"
        other_name = self.name()
        participants = _party(i + "    ", self.rng, other, other_name, "General", False) + _party(
            i + "    ", self.rng, OWNER + "@s.whatsapp.net", "", "General", True
        )
        deleted = "Deleted" if self.rng.random() < 0.05 else "Intact"
        messages = "".join(self.message(other, other_name) for _ in range(20))
        return (
            _open_model(i, "Chat", self.rng, deleted)
            + _field(i + "  ", "Source", "WhatsApp")
            + _field(i + "  ", "Id", other)
            + _field(i + "  ", "Name", None)
            + f'{i}  <multiModelField name="Participants" type="Party">\n{participants}'
            + f"{i}  </multiModelField>\n"
            + f'{i}  <multiModelField name="Messages" type="InstantMessage">\n{messages}'
            + f"{i}  </multiModelField>\n{i}</model>\n"
        )

    def location(self) -> str:
        i = "      "
        coordinate = (
            _open_model(i + "    ", "Coordinate", self.rng)
            + _field(i + "      ", "Latitude", f"{51 + self.rng.random():.6f}", "Double")
            + _field(i + "      ", "Longitude", f"{-1 + self.rng.random():.6f}", "Double")
            + f"{i}    </model>\n"
        )
        return (
            _open_model(i, "Location", self.rng)
            + _field(i + "  ", "Source", "Google Maps")
            + _field(i + "  ", "TimeStamp", _stamp(self.tick()), "TimeStamp")
            + f'{i}  <modelField name="Position" type="Coordinate">\n{coordinate}'
            + f"{i}  </modelField>\n"
            + _field(i + "  ", "GpsHorizontalAccuracy", f"{self.rng.uniform(3, 60):.1f}", "Double")
            + f"{i}</model>\n"
        )


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 37 % 256, seed * 91 % 256, 120)).save(out, "JPEG")
    return out.getvalue()


def generate(path: Path, size_mb: int) -> int:
    """Write the UFDR; returns the report's size in bytes."""
    target = size_mb * 1024 * 1024
    gen = Generator()
    photos = {f"files/Image/bench_{n:03d}.jpg": _jpeg(n) for n in range(20)}
    shares: list[tuple[str, float, Callable[[], str]]] = [
        ("Contact", 0.03, gen.contact),
        ("Call", 0.12, gen.call),
        ("SMS", 0.15, gen.sms),
        ("Chat", 0.65, gen.chat),
        ("Location", 0.05, gen.location),
    ]
    written = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("report.xml", "w", force_zip64=True) as raw:
            out = io.BufferedWriter(raw, buffer_size=4 << 20)  # type: ignore[arg-type]

            def write(text: str) -> None:
                nonlocal written
                data = text.encode("utf-8")
                written += len(data)
                out.write(data)

            write(
                '<?xml version="1.0" encoding="utf-8"?>\n'
                f'<project id="{_uid(gen.rng)}" name="Benchmark" reportVersion="7.69.0.112" '
                f'extractionType="AdvancedLogical" xmlns="{NS}">\n'
                '  <sourceExtractions>\n    <extractionInfo id="0" name="Logical" '
                'type="AdvancedLogical" index="0" />\n  </sourceExtractions>\n'
                '  <metadata section="Device Info">\n'
                '    <item name="IMEI"><![CDATA[356170801234569]]></item>\n'
                f'    <item name="MSISDN"><![CDATA[+{OWNER}]]></item>\n'
                "  </metadata>\n  <taggedFiles>\n"
            )
            for n, (name, data) in enumerate(photos.items()):
                write(
                    f'    <file fs="Data" path="/data/media/0/DCIM/bench_{n:03d}.jpg" '
                    f'size="{len(data)}" id="{_uid(gen.rng)}" deleted="intact">\n'
                    '      <metadata section="File">\n'
                    f'        <item name="Local Path"><![CDATA[{name.replace("/", chr(92))}]]>'
                    "</item>\n      </metadata>\n    </file>\n"
                )
            write("  </taggedFiles>\n  <decodedData>\n")
            for kind, share, make in shares:
                budget = written + int(target * share)
                write(f'    <modelType type="{kind}">\n')
                while written < budget:
                    write(make())
                write("    </modelType>\n")
            write("  </decodedData>\n</project>\n")
            out.flush()
        for name, data in photos.items():
            archive.writestr(name, data)
    return written


def phase_bare(ufdr: Path) -> dict[str, float]:
    """Bare iterparse over the report member: every end event read, cleared, siblings dropped."""
    from lxml import etree

    started, cpu = time.perf_counter(), time.process_time()
    elements = 0
    with zipfile.ZipFile(ufdr) as archive, archive.open("report.xml") as stream:
        for _event, element in etree.iterparse(stream, events=("end",), huge_tree=True):
            elements += 1
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "elements": elements,
    }


def phase_threadline(ufdr: Path, work: Path) -> dict[str, float]:
    """Register the UFDR (untimed), then time the full ingest service on it."""
    from threadline.services import cases, exhibits, ingest
    from threadline.services.workspace import open_workspace
    from threadline.settings import Settings

    _remove_tree(work)
    ws = open_workspace(Settings(home=work, user="benchmark"))
    cases.create_case(ws, "OP-BENCH", "Benchmark")
    exhibits.add_exhibit(
        ws, "OP-BENCH", "BM/1", ufdr, producer="benchmark", description="benchmark"
    )
    started, cpu = time.perf_counter(), time.process_time()
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = ingest.ingest_exhibit(ws, "OP-BENCH", "BM/1", parser="cellebrite")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ws.close()
    helper_cpu = (after.ru_utime + after.ru_stime) - (helpers.ru_utime + helpers.ru_stime)
    figures: dict[str, float] = {
        "seconds": seconds,
        "cpu_seconds": cpu + helper_cpu,
        "helper_cpu_seconds": helper_cpu,
        # the largest helper's peak (the reading's helper processes are this one's children)
        "helper_peak_rss_mb": after.ru_maxrss / 1024 if helper_cpu else 0.0,
        "workers": float(ws.settings.ingest_workers),
    }
    figures.update({k: float(v) for k, v in result.row_counts.items()})
    return figures


def _remove_tree(folder: Path) -> None:
    """Delete a benchmark workspace, whose preserved exhibits are read-only by design."""
    if not folder.exists():
        return
    for item in [folder, *folder.rglob("*")]:
        if not item.is_symlink():
            item.chmod(item.stat().st_mode | 0o700)
    shutil.rmtree(folder)


def _child(phase: str, *paths: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Parse arguments and run the benchmark (or one phase, in a child process)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=2048, help="report.xml size (MB)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--phase", choices=["bare", "threadline"], help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        figures = (
            phase_bare(args.paths[0])
            if args.phase == "bare"
            else phase_threadline(args.paths[0], args.paths[1])
        )
        usage = resource.getrusage(resource.RUSAGE_SELF)
        figures["peak_rss_mb"] = usage.ru_maxrss / 1024
        print(json.dumps(figures))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.out).free
    # the UFDR, its preserved copy and the Parquet output, with room to spare
    needed = args.size_mb * 1024 * 1024 * 2
    if free < needed:
        raise SystemExit(f"{free / 1024**3:.1f} GB free in {args.out}; need {needed / 1024**3:.1f}")
    ufdr = args.out / f"bench-{args.size_mb}.ufdr"
    work = args.out / f"ws-{args.size_mb}"
    try:
        started = time.perf_counter()
        size = generate(ufdr, args.size_mb)
        mb = size / 1024**2
        print(
            f"generated report.xml {mb:,.0f} MB (UFDR {ufdr.stat().st_size / 1024**2:,.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        bare = _child("bare", ufdr)
        ours = _child("threadline", ufdr, work)
        print(
            f"{'pass':>12} {'seconds':>9} {'MB/s':>8} {'CPU s':>8} {'MB/CPU s':>9} "
            f"{'peak RSS MB':>12}"
        )
        for name, fig in (("bare lxml", bare), ("threadline", ours)):
            print(
                f"{name:>12} {fig['seconds']:>9.1f} {mb / fig['seconds']:>8.1f} "
                f"{fig['cpu_seconds']:>8.1f} {mb / fig['cpu_seconds']:>9.1f} "
                f"{fig['peak_rss_mb']:>12.0f}"
            )
        skip = ("seconds", "cpu_seconds", "peak_rss_mb", "helper_cpu_seconds")
        skip += ("helper_peak_rss_mb", "workers")
        rows = {k: int(v) for k, v in ours.items() if k not in skip}
        print(f"rows: {rows}")
        helpers = int(ours["workers"]) - 1 if ours["helper_cpu_seconds"] else 0
        # every process of the reading counts: the helpers' peaks are added to the first's
        # (an upper bound: each reaches its peak at its own moment)
        memory = ours["peak_rss_mb"] + helpers * ours["helper_peak_rss_mb"]
        print(
            f"threadline read the report in {helpers + 1} process(es) "
            f"(THREADLINE_INGEST_WORKERS); CPU s above is all of them "
            f"({ours['helper_cpu_seconds']:.1f} s in helpers); peak RSS {ours['peak_rss_mb']:.0f} "
            f"MB first process + {helpers} x {ours['helper_peak_rss_mb']:.0f} MB helper(s)"
        )
        print(
            f"threadline speed / bare speed: {bare['seconds'] / ours['seconds']:.2f} by wall "
            f"time (goal >= 0.5), {bare['cpu_seconds'] / ours['cpu_seconds']:.2f} by CPU time "
            f"of all processes; peak RSS of all processes {memory:.0f} MB (goal < 1024)",
            flush=True,
        )
    finally:
        if not args.keep:
            ufdr.unlink(missing_ok=True)
            _remove_tree(work)


if __name__ == "__main__":
    main()
