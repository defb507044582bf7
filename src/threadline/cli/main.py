"""The ``threadline`` command line (Typer + Rich).

Noun-verb commands; every command takes ``--json`` (machine-readable output on stdout) and the
workspace from ``--home`` or ``THREADLINE_HOME``. Errors are converted to a message and exit code in
one place, :func:`main`; nothing else catches them.

Evidence and user text (numbers, names, SQL, file names) are never read as Rich markup or emoji
codes: the consoles have both turned off, table cells are :class:`rich.text.Text`, and styled
messages are assembled from plain parts, so ``07700[bold]900123`` prints exactly as written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import OperationalError

from threadline.errors import ConfigError, StoreError, ThreadlineError
from threadline.ingest.context import IngestOptions
from threadline.model.access import Membership
from threadline.model.time_basis import uk_instant
from threadline.services import access as access_service
from threadline.services import analyse as analyse_service
from threadline.services import audit as audit_service
from threadline.services import cases as case_service
from threadline.services import demo as demo_service
from threadline.services import exhibits as exhibit_service
from threadline.services import finding_rows as finding_rows_service
from threadline.services import ingest as ingest_service
from threadline.services import judgements as judgement_service
from threadline.services import profiles as profile_service
from threadline.services import query as query_service
from threadline.services import search as search_service
from threadline.services import users as user_service
from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    name="threadline",
    help="Threadline: intelligence and digital-investigation workbench.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
case_app = typer.Typer(help="Cases (operations).", no_args_is_help=True)
exhibit_app = typer.Typer(help="Exhibits: register, list, show, verify.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
profiles_app = typer.Typer(help="CDR mapping profiles.", no_args_is_help=True)
finding_app = typer.Typer(help="Findings of analyses: the rows behind one.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(exhibit_app, name="exhibit")
app.add_typer(audit_app, name="audit")
app.add_typer(profiles_app, name="profiles")
app.add_typer(finding_app, name="finding")
user_app = typer.Typer(help="Users of the web application.", no_args_is_help=True)
member_app = typer.Typer(help="Who may work on a case (web application).", no_args_is_help=True)
app.add_typer(user_app, name="user")
case_app.add_typer(member_app, name="member")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Workspace folder (default $THREADLINE_HOME or ~/threadline)."),
]
CaseOpt = Annotated[str, typer.Option("--case", help="Case reference, e.g. OP-CEDAR.")]
WhyOpt = Annotated[
    str | None,
    typer.Option("--justification", help="Why you are consulting or disclosing (logged)."),
]

# markup and emoji codes off: evidence such as "[/x]" or ":fire:" must print as written
out = Console(markup=False, emoji=False)
err = Console(stderr=True, markup=False, emoji=False)

#: Exit status for an unexpected exception: a defect (EX_SOFTWARE in sysexits.h).
EXIT_DEFECT = 70

#: Exit status when the database refuses work: the same as a :class:`StoreError`.
EXIT_STORE = StoreError.exit_code


def _settings(home: Path | None) -> Settings:
    return Settings(home=home) if home is not None else Settings()


@contextmanager
def workspace(home: Path | None) -> Iterator[Workspace]:
    """Open the workspace for one command and close it afterwards."""
    ws = open_workspace(_settings(home))
    try:
        yield ws
    finally:
        ws.close()


def emit(data: Any, as_json: bool, render: Callable[[], None]) -> None:
    """Print ``data`` as JSON, or call ``render`` for the human form."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    else:
        render()


def say(console: Console, *parts: str | tuple[str, str]) -> None:
    """Print a message built from plain text and ``(text, style)`` parts, never markup.

    Messages quote user and evidence text, which must appear exactly as written.
    """
    console.print(Text.assemble(*parts), highlight=False, soft_wrap=True)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a table; the title, headings and every cell are plain text (never markup)."""
    table = Table(title=Text(title), show_lines=False)
    for column in columns:
        table.add_column(Text(column), overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    out.print(table)


def _instant(text: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """An instant given on the command line (see :func:`uk_instant`); ``None`` stays ``None``."""
    return None if text is None else uk_instant(text, option, end_of_day=end_of_day)


# ---------------------------------------------------------------------------------------------
# case


@case_app.command("new")
def case_new(
    ref: Annotated[str, typer.Option("--ref", help="Case reference, e.g. OP-CEDAR.")],
    name: Annotated[str, typer.Option("--name", help="Operation name.")],
    marking: Annotated[
        str | None, typer.Option("--marking", help="GSC marking (default OFFICIAL-SENSITIVE).")
    ] = None,
    offence: Annotated[
        list[str] | None, typer.Option("--offence", help="Offence tag, e.g. MSA2015-s2; repeat.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a case."""
    with workspace(home) as ws:
        info = case_service.create_case(
            ws, ref, name, marking=marking, offences=tuple(offence or ())
        )
    emit(
        info.to_dict(),
        as_json,
        lambda: say(out, f"Created case {info.reference}: {info.name} [{info.marking}]"),
    )


@case_app.command("list")
def case_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List cases."""
    with workspace(home) as ws:
        infos = case_service.list_cases(ws)
    emit(
        [i.to_dict() for i in infos],
        as_json,
        lambda: _table(
            "Cases",
            ["Reference", "Name", "Marking", "Offences", "Exhibits"],
            [[i.reference, i.name, i.marking, ", ".join(i.offences), i.exhibits] for i in infos],
        ),
    )


@case_app.command("show")
def case_show(
    ref: Annotated[str, typer.Argument(help="Case reference.")],
    home: HomeOpt = None,
    justification: WhyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case."""
    with workspace(home) as ws:
        info = case_service.show_case(ws, ref, justification=justification)
    emit(
        info.to_dict(),
        as_json,
        lambda: _table(
            f"{info.marking}  —  {info.reference}",
            ["Field", "Value"],
            [[k, v] for k, v in info.to_dict().items()],
        ),
    )


# ---------------------------------------------------------------------------------------------
# exhibit


@exhibit_app.command("add")
def exhibit_add(
    path: Annotated[Path, typer.Argument(help="File or folder to register.")],
    case: CaseOpt,
    ref: Annotated[str, typer.Option("--ref", help="Exhibit reference, e.g. JB/1.")],
    producer: Annotated[str, typer.Option("--producer", help="Who produces the exhibit.")],
    description: Annotated[str, typer.Option("--description", help="What it is.")],
    date_produced: Annotated[
        str | None,
        typer.Option(
            "--date-produced",
            help="ISO date or date-time it was produced; UK local time unless it has an offset.",
        ),
    ] = None,
    marking: Annotated[str | None, typer.Option("--marking", help="GSC marking.")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="CD: the network.")] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="CD: the target number authorised.")
    ] = None,
    authorisation: Annotated[
        str | None, typer.Option("--authorisation", help="CD: authorisation reference (URN).")
    ] = None,
    authorised_from: Annotated[
        str | None,
        typer.Option(
            "--authorised-from",
            help="CD: window start, ISO date or date-time in UK local time (GMT/BST) unless it "
            "has an offset or Z; a date alone means the start of that day.",
        ),
    ] = None,
    authorised_to: Annotated[
        str | None,
        typer.Option(
            "--authorised-to",
            help="CD: window end, ISO date or date-time in UK local time (GMT/BST) unless it "
            "has an offset or Z; a date alone means the whole of that day (to 23:59:59.999999).",
        ),
    ] = None,
    data_type: Annotated[
        str | None, typer.Option("--data-type", help="CD: events or entity.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a file or folder as an exhibit: hashed, preserved read-only, continuity begun."""
    comms = None
    if any((provider, target, authorisation, authorised_from, authorised_to, data_type)):
        comms = exhibit_service.CommsData(
            provider=provider,
            target_number=target,
            authorisation=authorisation,
            authorised_from=_instant(authorised_from, "--authorised-from"),
            authorised_to=_instant(authorised_to, "--authorised-to", end_of_day=True),
            data_type=data_type,
        )
    with workspace(home) as ws:
        info = exhibit_service.add_exhibit(
            ws,
            case,
            ref,
            path,
            producer=producer,
            description=description,
            date_produced=_instant(date_produced, "--date-produced"),
            marking=marking,
            comms=comms,
        )
    emit(
        info.to_dict(),
        as_json,
        lambda: say(
            out,
            f"Registered {info.reference} ({info.kind}, {info.size_bytes} bytes)\n"
            f"SHA-256 {info.sha256}",
        ),
    )


@exhibit_app.command("list")
def exhibit_list(case: CaseOpt, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List a case's exhibits."""
    with workspace(home) as ws:
        infos = exhibit_service.list_exhibits(ws, case)
    emit(
        [i.to_dict() for i in infos],
        as_json,
        lambda: _table(
            f"Exhibits — {case}",
            ["Reference", "Description", "Producer", "Bytes", "SHA-256"],
            [[i.reference, i.description, i.producer, i.size_bytes, i.sha256] for i in infos],
        ),
    )


@exhibit_app.command("show")
def exhibit_show(
    ref: Annotated[str, typer.Argument(help="Exhibit reference.")],
    case: CaseOpt,
    home: HomeOpt = None,
    justification: WhyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an exhibit with its continuity record."""
    with workspace(home) as ws:
        info = exhibit_service.show_exhibit(ws, case, ref, justification=justification)

    def render() -> None:
        data = info.to_dict()
        continuity = data.pop("continuity")
        _table(
            f"{info.marking} — exhibit {info.reference}",
            ["Field", "Value"],
            [[k, v] for k, v in data.items()],
        )
        _table(
            "Continuity",
            ["When (UTC)", "Who", "What", "Detail"],
            [[c["at"], c["actor"], c["action"], c["detail"]] for c in continuity],
        )

    emit(info.to_dict(), as_json, render)


@exhibit_app.command("verify")
def exhibit_verify(
    ref: Annotated[str, typer.Argument(help="Exhibit reference.")],
    case: CaseOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-hash an exhibit's preserved copy; exits 6 on a mismatch."""
    with workspace(home) as ws:
        result = exhibit_service.verify_exhibit(ws, case, ref)

    def render() -> None:
        if result.ok:
            say(out, ("OK", "green"), f" {result.reference} SHA-256 {result.actual}")
        else:
            say(
                err,
                ("MISMATCH", "bold red"),
                f" {result.reference}: registered {result.expected}, now {result.actual}. "
                "The exhibit has changed and must not be relied on.",
            )

    emit(result.to_dict(), as_json, render)
    if not result.ok:
        raise typer.Exit(6)


# ---------------------------------------------------------------------------------------------
# ingest, issues, sql


@app.command("ingest")
def ingest(
    exhibits: Annotated[
        list[str] | None, typer.Argument(help="Exhibit reference(s); or --all.")
    ] = None,
    case: CaseOpt = "",
    all_exhibits: Annotated[bool, typer.Option("--all", help="Every exhibit of the case.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", help="Exhibits ingested at once.")] = 1,
    parser: Annotated[str | None, typer.Option("--parser", help="Parser name.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="CDR profile name.")] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Your own CDR mapping file (YAML).")
    ] = None,
    time_basis: Annotated[
        str | None,
        typer.Option("--time-basis", help="utc, europe-london, an IANA zone or UTC+hh:mm."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Ingest again even if done.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Parse exhibits into the evidence store (atomic per exhibit; repeatable)."""
    if not case:
        raise ConfigError("--case is required")
    options = IngestOptions(profile=profile, mapping=mapping, time_basis=time_basis)
    with workspace(home) as ws:
        refs = list(exhibits or [])
        if all_exhibits:
            refs = [e.reference for e in exhibit_service.list_exhibits(ws, case)]
        if not refs:
            raise ConfigError("name the exhibit(s) to ingest, or pass --all")
        if len(refs) == 1:
            _ingest_one(ws, case, refs[0], parser, options, force, as_json)
            _index(ws, case, as_json)
            return
        outcomes = ingest_service.ingest_many(
            ws,
            case,
            refs,
            jobs=jobs,
            parser=parser,
            options=dict.fromkeys(refs, options),
            force=force,
            on_done=None if as_json else _print_outcome,
        )
        if any(not o.error for o in outcomes):
            _index(ws, case, as_json)
    if as_json:
        emit([o.to_dict() for o in outcomes], True, lambda: None)
    failed = [o for o in outcomes if o.error]
    if failed:
        raise typer.Exit(9)


def _index(ws: Workspace, case: str, as_json: bool) -> None:
    """Bring the case's search index and read copy up to date after ingest, as the web
    application's ingest does, so searches, profiles and analyses read prepared tables
    (quick when nothing changed)."""
    if not as_json:
        say(err, f"Indexing {case} (search index and read copy)...")
    info = search_service.build_search_index(ws, case)
    if not as_json and info.built:
        say(err, f"Indexed {info.entities:,} entities in {info.seconds:.1f} s")


def _print_outcome(outcome: ingest_service.BatchOutcome) -> None:
    if outcome.error:
        say(err, ("FAILED", "red"), f" {outcome.exhibit}: {outcome.error}")
        return
    result = outcome.result
    assert result is not None
    counts = ", ".join(f"{n:,} {t}" for t, n in sorted(result.row_counts.items()))
    verb = "already ingested" if result.already_done else "ingested"
    say(
        out,
        f"{outcome.exhibit}: {verb} with {result.parser}: {counts}; {result.issues} issue(s), "
        f"{result.occurrences} occurrence(s)",
    )


def _ingest_one(
    ws: Workspace,
    case: str,
    exhibit: str,
    parser: str | None,
    options: IngestOptions,
    force: bool,
    as_json: bool,
) -> None:
    if as_json:
        result = ingest_service.ingest_exhibit(
            ws, case, exhibit, parser=parser, options=options, force=force
        )
    else:
        with _progress(f"Ingesting {exhibit}") as tick:
            result = ingest_service.ingest_exhibit(
                ws, case, exhibit, parser=parser, options=options, force=force, on_progress=tick
            )

    def render() -> None:
        verb = "Already ingested" if result.already_done else "Ingested"
        counts = ", ".join(f"{n:,} {t}" for t, n in sorted(result.row_counts.items()))
        say(out, f"{verb} {result.exhibit} with {result.parser}: {counts}")
        if result.issues:
            say(
                out,
                f"{result.issues} issue(s) covering {result.occurrences} occurrence(s): "
                f"threadline issues --case {case} --exhibit {exhibit}",
            )

    emit(result.to_dict(), as_json, render)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    started = datetime.now(UTC)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=None, rate="")

        def tick(done: int, total: int | None) -> None:
            seconds = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
            progress.update(task, completed=done, total=total, rate=f"{done / seconds:,.0f} rows/s")

        yield tick


@app.command("issues")
def issues(
    case: CaseOpt,
    exhibit: Annotated[str | None, typer.Option("--exhibit", help="One exhibit only.")] = None,
    home: HomeOpt = None,
    justification: WhyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List ingest issues with their place in the exhibit (logged as a consultation)."""
    with workspace(home) as ws:
        found = query_service.list_issues(ws, case, exhibit, justification=justification)
    emit(
        [i.to_dict() for i in found],
        as_json,
        lambda: _table(
            f"Ingest issues — {case}",
            ["Exhibit", "Severity", "Code", "Where", "Value", "Count", "Message"],
            [
                [i.exhibit, i.severity, i.code, i.locator, i.value, i.count, i.message]
                for i in found
            ],
        ),
    )


@app.command("sql")
def sql(
    query: Annotated[str, typer.Argument(help="One SELECT over the evidence tables.")],
    case: CaseOpt,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the result to this CSV file.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to print.")] = 50,
    home: HomeOpt = None,
    justification: WhyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read-only SQL over the case's evidence (logged as a consultation)."""
    with workspace(home) as ws:
        if csv_out is not None:
            ws.export_target(csv_out)  # refuse a target in the workspace before querying
        result = query_service.run_sql(ws, case, query, justification=justification)
        if csv_out is not None:
            query_service.export_csv(
                ws, case, result, csv_out, what=query, justification=justification
            )
    rows = result.slice(0, limit).to_pylist() if csv_out is None else []

    def render() -> None:
        if csv_out is not None:
            say(out, f"Wrote {result.num_rows:,} rows to {csv_out}")
            return
        _table(
            f"{result.num_rows:,} row(s)",
            result.column_names,
            [list(r.values()) for r in rows],
        )

    emit(
        {
            "rows": result.num_rows,
            "columns": result.column_names,
            "data": rows,
            "csv": str(csv_out) if csv_out else None,
        },
        as_json,
        render,
    )


@app.command("analyse")
def analyse(
    name: Annotated[
        str | None, typer.Argument(help="Analysis name, e.g. common_contacts (or --list).")
    ] = None,
    case: CaseOpt = "",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="name=value (lists comma-separated); repeatable."),
    ] = None,
    list_analyses: Annotated[
        bool, typer.Option("--list", help="List the analyses and their parameters.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Run again even if done.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Findings to print.")] = 20,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run an analysis on the case and keep its findings (logged as a combination)."""
    if list_analyses or name is None:
        infos = analyse_service.available_analyses()
        emit(
            [
                {
                    "name": i.name,
                    "version": i.version,
                    "title": i.title,
                    "summary": i.summary,
                    "parameters": sorted(i.parameters.model_fields),
                }
                for i in infos
            ],
            as_json,
            lambda: _table(
                "Analyses",
                ["Name", "Version", "What it finds", "Parameters"],
                [
                    [i.name, i.version, i.summary, ", ".join(sorted(i.parameters.model_fields))]
                    for i in infos
                ],
            ),
        )
        return
    if not case:
        raise ConfigError("--case is required")
    info = analyse_service.analysis_info(name)
    parameters = analyse_service.parameters_from_pairs(info, param or [])
    with workspace(home) as ws:
        outcome = analyse_service.run_analysis(ws, case, name, parameters, force=force)

    def render() -> None:
        done = " (already done: the same evidence and parameters)" if outcome.already_done else ""
        say(
            out, f"{outcome.method}: {len(outcome.findings)} finding(s){done}; run {outcome.run_id}"
        )
        for finding in outcome.findings[:limit]:
            score = "" if finding.score is None else f"[{finding.score:g}] "
            say(out, ("• ", "bold"), score, finding.explanation)
            say(
                out,
                ("  ", ""),
                (f"finding {finding.finding_id}, {finding.rows_cited} row(s)", "dim"),
            )
        if len(outcome.findings) > limit:
            say(out, f"… {len(outcome.findings) - limit} more (--limit, or --json for all)")

    emit(outcome.to_dict(), as_json, render)


@finding_app.command("rows")
def finding_rows_command(
    finding_id: Annotated[str, typer.Argument(help="The finding's id (as analyse prints it).")],
    case: CaseOpt = "",
    run: Annotated[
        str | None, typer.Option("--run", help="Of this run (default: the current one).")
    ] = None,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many rows.")] = 0,
    limit: Annotated[int, typer.Option("--limit", help="Rows to print (1 to 1000).")] = 100,
    justification: Annotated[
        str | None, typer.Option("--justification", help="Why (logged with the consultation).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The rows a finding rests on, listed or named by its links (logged as a consultation)."""
    if not case:
        raise ConfigError("--case is required")
    with workspace(home) as ws:
        found = finding_rows_service.finding_rows(
            ws,
            case,
            finding_id,
            run_id=run,
            offset=offset,
            limit=limit,
            justification=justification,
        )

    def render() -> None:
        citation = found.finding.derived_links
        how = (
            "listed by the analysis"
            if citation is None
            else f"named by the links among {len(citation.nodes)} nodes; "
            f"{citation.rows} when the analysis ran"
        )
        say(out, f"{found.total} row(s), {how}")
        if found.changed:
            say(out, ("The evidence has changed since the analysis ran: run it again.", "red"))
        _table(
            f"Rows {offset + 1}-{offset + len(found.rows)} of {found.total}",
            ["#", "Record", "Table", "Exhibit", "Where"],
            [
                [offset + n, r.row_id, r.table, r.exhibit, r.locator]
                for n, r in enumerate(found.rows, start=1)
            ],
        )

    emit(found.to_dict(), as_json, render)


@app.command("judge")
def judge(
    subjects: Annotated[
        list[str] | None,
        typer.Argument(help="Two subjects (kind:key, e.g. number:07700900123, person:<row id>)."),
    ] = None,
    case: CaseOpt = "",
    same: Annotated[bool, typer.Option("--same", help="They are the same.")] = False,
    not_same: Annotated[bool, typer.Option("--not-same", help="They are not the same.")] = False,
    unsure: Annotated[bool, typer.Option("--unsure", help="You cannot tell.")] = False,
    reverse: Annotated[
        str | None, typer.Option("--reverse", help="Reverse this judgement (its id).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept and audited).")] = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an analyst's judgement on two subjects, or reverse one (audited alterations)."""
    if not case:
        raise ConfigError("--case is required")
    with workspace(home) as ws:
        if reverse is not None:
            view = judgement_service.reverse_judgement(ws, case, reverse, reason)
        else:
            chosen = [
                v for v, on in (("same", same), ("not_same", not_same), ("unsure", unsure)) if on
            ]
            if len(chosen) != 1:
                raise ConfigError("give exactly one of --same, --not-same, --unsure")
            if len(subjects or []) != 2:
                raise ConfigError("name the two subjects the judgement is about")
            first, second = subjects or []
            view = judgement_service.record_judgement(ws, case, first, second, chosen[0], reason)
    emit(
        view.to_dict(),
        as_json,
        lambda: say(
            out,
            f"{'Reversed' if reverse else 'Recorded'} judgement {view.judgement_id}: "
            f"{view.first} {view.verdict.replace('_', ' ')} {view.second} ({view.reason})",
        ),
    )


@app.command("judgements")
def judgements(
    case: CaseOpt,
    include_reversed: Annotated[
        bool, typer.Option("--all", help="Reversed judgements too.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the case's judgements, newest first."""
    with workspace(home) as ws:
        found = judgement_service.list_judgements(ws, case, include_reversed=include_reversed)
    emit(
        [j.to_dict() for j in found],
        as_json,
        lambda: _table(
            f"Judgements — {case}",
            ["Id", "First", "Verdict", "Second", "Reason", "By", "In force"],
            [
                [j.judgement_id, j.first, j.verdict, j.second, j.reason, j.made_by, j.in_force]
                for j in found
            ],
        ),
    )


# ---------------------------------------------------------------------------------------------
# audit


@audit_app.command("verify")
def audit_verify(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute the audit log's hash chain; exits 7 if it is broken."""
    with workspace(home) as ws:
        report = audit_service.verify(ws)
    data = {
        "intact": report.intact,
        "entries": report.entries,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "problems": [{"seq": p.seq, "problem": p.problem} for p in report.problems],
    }

    def render() -> None:
        if report.intact:
            say(out, ("Intact", "green"), f": {report.entries} entries, head {report.head_hash}")
        else:
            say(err, ("BROKEN", "bold red"), f": {len(report.problems)} problem(s)")
            for p in report.problems:
                say(err, f"  entry {p.seq}: {p.problem}")

    emit(data, as_json, render)
    if not report.intact:
        raise typer.Exit(7)


@audit_app.command("export")
def audit_export(
    target: Annotated[Path, typer.Argument(help="JSON Lines file to write.")],
    home: HomeOpt = None,
    justification: WhyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the audit log (logged as a disclosure)."""
    with workspace(home) as ws:
        data = audit_service.export(ws, target, justification=justification)
    emit(
        data,
        as_json,
        lambda: say(out, f"Wrote {data['entries']} entries to {target}; head {data['head_hash']}"),
    )


# ---------------------------------------------------------------------------------------------
# profiles, demo


@profiles_app.command("list")
def profiles_list(as_json: JsonOpt = False) -> None:
    """List the CDR mapping profiles shipped with Threadline."""
    items = profile_service.list_profiles()
    emit(
        items,
        as_json,
        lambda: _table(
            "CDR profiles",
            ["Name", "Format", "Time basis", "Title"],
            [[p["name"], p["format"], p["time_basis"], p["title"]] for p in items],
        ),
    )


@profiles_app.command("show")
def profiles_show(
    name: Annotated[str, typer.Argument(help="Profile name.")], as_json: JsonOpt = False
) -> None:
    """Print a profile's mapping file: a starting point for your own."""
    text = profile_service.profile_text(name)
    emit(
        {"name": name, "yaml": text},
        as_json,
        lambda: out.print(text, highlight=False),
    )


# ---------------------------------------------------------------------------------------------
# users and case membership (the web application's; the command line itself is single-user)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name, lower case (e.g. jbloggs).")],
    name: Annotated[str, typer.Option("--name", help="Name as shown, e.g. 'DC Jo Bloggs'.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="administrator, supervisor, investigator, analyst, researcher or partner_reader.",
        ),
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user (asks for the password twice unless --password-stdin)."""
    chosen = user_service.parse_role(role)
    password = _read_password(password_stdin)
    with workspace(home) as ws:
        info = user_service.add_user(
            ws, username, display_name=name, role=chosen, password=password
        )
    emit(info.to_dict(), as_json, lambda: say(out, f"Added {info.username} ({info.role})"))


@user_app.command("list")
def user_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List users (never their passwords)."""
    with workspace(home) as ws:
        found = user_service.list_users(ws)
    emit(
        [u.to_dict() for u in found],
        as_json,
        lambda: _table(
            "Users",
            ["Username", "Name", "Role", "State", "Last sign-in"],
            [
                [
                    u.username,
                    u.display_name,
                    u.role,
                    "disabled" if u.disabled else "locked" if u.locked else "active",
                    u.last_sign_in_at or "",
                ]
                for u in found
            ],
        ),
    )


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The user.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Disable a user: they cannot sign in, and their sessions end at once."""
    with workspace(home) as ws:
        info = user_service.set_disabled(ws, username, True)
    emit(info.to_dict(), as_json, lambda: say(out, f"Disabled {info.username}"))


@user_app.command("enable")
def user_enable(
    username: Annotated[str, typer.Argument(help="The user.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enable a disabled user again (also clears a lock-out)."""
    with workspace(home) as ws:
        info = user_service.set_disabled(ws, username, False)
    emit(info.to_dict(), as_json, lambda: say(out, f"Enabled {info.username}"))


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Set a user's password (ends their sessions and clears a lock-out)."""
    password = _read_password(password_stdin)
    with workspace(home) as ws:
        user_service.set_password(ws, username, password)
    say(out, f"Password set for {username}")


@member_app.command("add")
def member_add(
    username: Annotated[str, typer.Argument(help="The user.")],
    case: CaseOpt,
    owner: Annotated[bool, typer.Option("--owner", help="Make them an owner.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a user a member (or owner) of a case."""
    with workspace(home) as ws:
        info = access_service.set_member(
            ws, case, username, Membership.OWNER if owner else Membership.MEMBER
        )
    emit(
        info.to_dict(),
        as_json,
        lambda: say(out, f"{info.username} is now {info.membership} of {case}"),
    )


@member_app.command("list")
def member_list(case: CaseOpt, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List a case's members."""
    with workspace(home) as ws:
        found = access_service.list_members(ws, case)
    emit(
        [m.to_dict() for m in found],
        as_json,
        lambda: _table(
            f"Members of {case}",
            ["Username", "Name", "Role", "Membership"],
            [[m.username, m.display_name, m.role, m.membership] for m in found],
        ),
    )


@member_app.command("remove")
def member_remove(
    username: Annotated[str, typer.Argument(help="The user.")],
    case: CaseOpt,
    home: HomeOpt = None,
) -> None:
    """Remove a user from a case."""
    with workspace(home) as ws:
        access_service.remove_member(ws, case, username)
    say(out, f"Removed {username} from {case}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    home: HomeOpt = None,
) -> None:
    """Run the web application (stop it with Ctrl+C).

    On first run, when there are no users, an administrator 'admin' is created and its
    password printed once.
    """
    import os

    import uvicorn

    settings = _settings(home)
    with workspace(home) as ws:
        password = user_service.ensure_first_administrator(ws)
    if password is not None:
        name = user_service.FIRST_ADMINISTRATOR
        say(out, ("First run: ", "bold"), f"administrator '{name}', password {password}")
        say(out, "Sign in and add users under Users; change this password with")
        say(out, f"  threadline user password {name}")
    os.environ["THREADLINE_HOME"] = str(settings.home)
    say(out, f"Threadline is running at http://{host}:{port}/  (Ctrl+C stops it)")
    # the web layer is loaded by name: the command line and the web application are
    # separate entry points over the services, neither importing the other
    uvicorn.run(
        "threadline.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@app.command("demo")
def demo(
    scale: Annotated[
        int | None, typer.Option("--scale", help="Approximate CDR rows (for benchmarks).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate the fictional demo case (Operation Cedar), register and ingest it."""
    with workspace(home) as ws:
        if as_json:
            summary = demo_service.build_demo(ws, scale=scale)
        else:
            with _progress("Demo case") as tick:
                summary = demo_service.build_demo(ws, scale=scale, on_progress=tick)

    def render() -> None:
        say(out, (str(summary["marking"]), "bold"))
        say(out, f"Case {summary['case']} — {summary['name']}")
        _table(
            "Exhibits",
            ["Reference", "Description", "Rows", "Issues"],
            [
                [e["reference"], e["description"], e["rows"], e["issues"]]
                for e in summary["exhibits"]
            ],
        )
        say(out, f"Workspace: {summary['home']}")
        say(out, f"Evidence (Parquet): {summary['evidence']}")
        say(out, f"Case store: {summary['database']}")
        say(
            out,
            f"Try: threadline sql --case {summary['case']} "
            '"SELECT direction, count(*) FROM calls GROUP BY 1"',
        )
        say(out, "Web sign-ins (fictional, this workspace only):")
        for entry in summary["sign_ins"]:
            say(out, f"  {entry['username']} / {entry['password']}  ({entry['role']})")
        say(out, "Run the web application: threadline serve")
        say(out, (str(summary["marking"]), "bold"))

    emit(summary, as_json, render)


def _store_message(exc: OperationalError) -> str:
    """Why the case store could not be used, for a person (the SQL statement is left out)."""
    reason = str(exc.orig if exc.orig is not None else exc).strip()
    message = f"the case store could not be read or written: {reason}"
    if "locked" in reason.lower():
        message += (
            ". Another Threadline command is probably writing to it: wait for it to finish "
            "and try again"
        )
    return message


def main(argv: list[str] | None = None) -> int:
    """Run the command line once; the one place errors become messages and exit codes.

    Threadline's own errors give their message and exit code; the database refusing work
    (SQLAlchemy ``OperationalError``, e.g. "database is locked") is a store error, exit 8; any
    other exception is a defect: one line naming it, exit 70, rather than a raw traceback.
    """
    try:
        code = app(args=argv, standalone_mode=False, prog_name="threadline")
    except ThreadlineError as exc:
        say(err, ("Error:", "bold red"), f" {exc}")
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        say(err, "Aborted.")
        return 130
    except OperationalError as exc:
        say(err, ("Error:", "bold red"), f" {_store_message(exc)}")
        return EXIT_STORE
    except Exception as exc:
        detail = " ".join(str(exc).split()) or "(no message)"
        say(
            err,
            ("Internal error:", "bold red"),
            f" {type(exc).__name__}: {detail}. This is a defect in Threadline; please report "
            "it with the command you ran.",
        )
        return EXIT_DEFECT
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
