"""The demo case, ingested end to end, checked against the generator's ground truth.

The generator knows what it wrote (row counts per table, the row of every deliberate anomaly,
the successor number's handset); the ingest must find exactly that, on both case-store backends.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from threadline.scenario import GroundTruth
from threadline.services import demo, exhibits, query
from threadline.services.workspace import Workspace


@pytest.fixture
def built(workspace: Workspace) -> tuple[Workspace, GroundTruth, dict[str, object]]:
    summary = demo.build_demo(workspace)
    truth = GroundTruth.from_json(Path(str(summary["ground_truth"])).read_text("utf-8"))
    return workspace, truth, summary


def test_row_counts_match_ground_truth(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    ws, truth, summary = built
    by_ref = {e["reference"]: e for e in summary["exhibits"]}  # type: ignore[attr-defined]
    tables = {"cell-list": "cell_sites", "anpr-cameras": "anpr_cameras", "anpr-reads": "anpr_reads"}
    for item in truth.exhibits:
        counts = by_ref[item.reference]["row_counts"]
        if item.kind != "cdr":
            assert counts[tables[item.kind]] == item.rows, item.reference
            continue
        assert counts["source_rows"] == item.rows, item.reference
        assert counts.get("calls", 0) == item.counts.calls, item.reference
        assert counts.get("messages", 0) == item.counts.messages, item.reference
        assert counts.get("data_sessions", 0) == item.counts.data_sessions, item.reference
    # the ANPR exports were ingested in their declared zones: a convoy trip's reads at the NAS
    # road cameras (UTC) and the factory gate (UK local) are at the truth's UTC instants
    misread = {(m.camera_id, m.read_utc) for m in truth.anpr.misreads}
    trip = next(
        j
        for j in truth.anpr.journeys
        if j.kind == "convoy"
        and j.date.month == 7
        and not misread & set(zip(j.cameras, j.times, strict=True))
    )
    lead = trip.vrms[0].replace(" ", "")
    found = query.run_sql(
        ws, "OP-CEDAR", f"SELECT camera_id, read_utc FROM anpr_reads WHERE vrm = '{lead}'"
    ).to_pylist()
    on_trip = sorted(
        (r["read_utc"], r["camera_id"])
        for r in found
        if r["read_utc"] is not None and trip.times[0] <= r["read_utc"] <= trip.times[-1]
    )
    assert on_trip == list(zip(trip.times, trip.cameras, strict=True))


def _locators(ws: Workspace, ref: str, code: str) -> set[str]:
    return {i.locator or "" for i in query.list_issues(ws, "OP-CEDAR", ref) if i.code == code}


def test_every_deliberate_anomaly_is_flagged_where_it_was_planted(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    ws, truth, _ = built
    kinds = {
        "ambiguous_time": "time.ambiguous",
        "nonexistent_time": "time.nonexistent",
        "outside_window": "window.outside",
        "luhn_failure": "imei.luhn",
    }
    planted = 0
    for item in truth.exhibits:
        for kind, code in kinds.items():
            rows = getattr(item.anomalies, kind)
            planted += len(rows)
            assert _locators(ws, item.reference, code) == {f"row={r}" for r in rows}, (
                item.reference,
                kind,
            )
    assert planted >= 12  # the generator documents 4 + 2 + 5 + 1 deliberate anomalies


def test_ambiguous_rows_keep_both_readings_and_no_single_time(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    ws, truth, _ = built
    item = next(e for e in truth.exhibits if e.anomalies.ambiguous_time)
    exhibit_id = next(
        e.id for e in exhibits.list_exhibits(ws, "OP-CEDAR") if e.reference == item.reference
    )
    for detail in (d for d in item.anomaly_details if d.kind == "ambiguous_time"):
        rows = query.run_sql(
            ws,
            "OP-CEDAR",
            "SELECT start_utc AS utc, start_earliest_utc AS e, start_latest_utc AS l, "
            "start_status AS s FROM calls "
            f"WHERE exhibit_id = '{exhibit_id}' AND locator = 'row={detail.row}' UNION ALL "
            "SELECT sent_utc, sent_earliest_utc, sent_latest_utc, sent_status FROM messages "
            f"WHERE exhibit_id = '{exhibit_id}' AND locator = 'row={detail.row}' UNION ALL "
            "SELECT start_utc, start_earliest_utc, start_latest_utc, start_status "
            f"FROM data_sessions WHERE exhibit_id = '{exhibit_id}' "
            f"AND locator = 'row={detail.row}'",
        ).to_pylist()
        assert len(rows) == 1, (detail.row, rows)
        row = rows[0]
        assert row["s"] == "ambiguous"
        assert row["utc"] is None
        # the repeated hour: the BST reading is one hour before the GMT reading
        assert (row["l"] - row["e"]).total_seconds() == 3600
        assert detail.true_start in (row["e"], row["l"])


def test_successor_numbers_share_the_handset(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    ws, truth, _ = built
    successor = truth.successor
    keys = query.run_sql(
        ws,
        "OP-CEDAR",
        "SELECT DISTINCT imei_key FROM calls WHERE target_role = 'a' AND a_party IN "
        f"('{successor.old_msisdn}', '{successor.new_msisdn}') "
        "AND imei_key IS NOT NULL",
    ).to_pylist()
    assert {k["imei_key"] for k in keys} == {successor.imei[:14]}


def _exhibit_id(ws: Workspace, reference: str) -> str:
    return next(e.id for e in exhibits.list_exhibits(ws, "OP-CEDAR") if e.reference == reference)


def test_phone_downloads_ingest_without_errors_and_with_their_calls(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    ws, truth, summary = built
    by_ref = {e["reference"]: e for e in summary["exhibits"]}  # type: ignore[attr-defined]
    assert len(truth.phone_downloads) == 5
    for phone in truth.phone_downloads:
        assert by_ref[phone.reference]["parser"].startswith(phone.parser + "@")
        severe = [
            i for i in query.list_issues(ws, "OP-CEDAR", phone.reference) if i.severity == "error"
        ]
        assert severe == [], phone.reference
        counts = by_ref[phone.reference]["row_counts"]
        assert counts["calls"] == phone.calls, phone.reference
        exhibit_id = _exhibit_id(ws, phone.reference)
        devices = query.run_sql(
            ws, "OP-CEDAR", f"SELECT imei, model FROM devices WHERE exhibit_id = '{exhibit_id}'"
        ).to_pylist()
        assert {d["model"] for d in devices} == {phone.model}, phone.reference
        if phone.file_format != "phone_fs":  # build.prop holds no IMEI
            assert {d["imei"] for d in devices} == {phone.imei}, phone.reference


def test_nickname_links_are_in_the_contacts_tables(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    ws, truth, _ = built
    found = query.run_sql(ws, "OP-CEDAR", "SELECT exhibit_id, name, number FROM contacts")
    saved = {(r["exhibit_id"], r["name"], r["number"]) for r in found.to_pylist()}
    links = 0
    for phone in truth.phone_downloads:
        exhibit_id = _exhibit_id(ws, phone.reference)
        for contact in phone.contacts:
            for msisdn in contact.msisdns:
                assert (exhibit_id, contact.name, msisdn) in saved, (phone.reference, contact)
                links += contact.person == "P01"
    # the controller: "A" and "A old" (MC/2), "Avi boss" with both numbers (MC/3, MC/4) and
    # with the successor number only (MC/5)
    assert links == 7


def test_deleted_threads_are_found_and_marked_deleted(
    built: tuple[Workspace, GroundTruth, dict[str, object]],
) -> None:
    """MC/1's thread is marked deleted in the Cellebrite report; MC/5's was deleted in the
    handset's write-ahead log after the last checkpoint and is recovered from the database file
    without its WAL."""
    ws, truth, _ = built
    checked = []
    for phone in truth.phone_downloads:
        deleted = [t for t in phone.threads if t.deleted]
        if not deleted:
            continue
        rows = query.run_sql(
            ws,
            "OP-CEDAR",
            "SELECT body, locator FROM messages "
            f"WHERE exhibit_id = '{_exhibit_id(ws, phone.reference)}' "
            "AND deleted_state = 'deleted'",
        ).to_pylist()
        expected = sorted(body for thread in deleted for body in thread.bodies)
        assert sorted(r["body"] for r in rows) == expected, phone.reference
        checked.append((phone.reference, deleted[0].deleted_how))
        if phone.reference == "MC/5":
            assert all(r["locator"].endswith(";state=before-wal") for r in rows)
    assert [ref for ref, _ in checked] == ["MC/1", "MC/5"], checked
