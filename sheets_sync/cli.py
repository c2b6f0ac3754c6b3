"""The ``sheets-sync`` command line.

Every command calls the same service functions the web service uses (:func:`refresh`,
:func:`load_template`, :func:`load_catalogue`...). Errors are one line on stderr and a non-zero
exit code: 1 for a problem the user can fix (config, template, data, credentials), 2 for usage
errors, 3 for an unexpected internal error (``--debug`` shows its traceback).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from connectors.base import ProgressFn, no_progress
from sheets_sync.errors import SheetsSyncError

stderr = Console(stderr=True)
stdout = Console()


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@contextmanager
def _progress(quiet: bool) -> Iterator[ProgressFn]:
    """Yield a progress callback that draws a spinner on stderr (nothing when quiet)."""
    if quiet or not stderr.is_terminal:
        yield _log_progress if not quiet else no_progress
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def update(what: str, done: int, total: int | None) -> None:
            suffix = f" {done:,}/{total:,}" if total else (f" {done:,}" if done else "")
            bar.update(task, description=f"{what}{suffix}")

        yield update


def _log_progress(what: str, done: int, total: int | None) -> None:
    if done == 0:
        click.echo(f"... {what}", err=True)


class _Group(click.Group):
    """Turns SheetsSyncError into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SheetsSyncError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; the previous report is unchanged", err=True)
            ctx.exit(130)
        except Exception as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"internal error: {type(err).__name__}: {err} (run with --debug for details)",
                err=True,
            )
            ctx.exit(3)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(package_name="sheets-sync")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """sheets-sync: CRM reporting into Google Sheets and local workbooks."""
    ctx.obj = {"debug": debug}


# --- templates ----------------------------------------------------------------------------


@main.group()
def templates() -> None:
    """List and show report templates."""


@templates.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def templates_list(as_json: bool) -> None:
    """List the bundled report templates."""
    from sheets_sync.templates import list_templates

    found = list_templates()
    if as_json:
        _json([_template_summary(t) for t in found])
        return
    table = RichTable("id", "audience", "cadence", "tabs", "name")
    for t in found:
        table.add_row(t.id, t.audience, t.cadence, str(len(t.tabs)), t.name)
    stdout.print(table)


@templates.command("show")
@click.argument("template_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def templates_show(template_id: str, as_json: bool) -> None:
    """Show a template's tabs, blocks and metrics."""
    from sheets_sync.templates import load_template

    template = load_template(template_id)
    if as_json:
        _json(template.model_dump(mode="json"))
        return
    summary = _template_summary(template)
    stdout.print(f"[bold]{template.name}[/bold] ({template.id})")
    stdout.print(template.description)
    stdout.print(f"audience: {template.audience}   cadence: {template.cadence}")
    for tab in summary["tabs"]:
        stdout.print(f"  - {tab}")
    stdout.print(f"metrics: {', '.join(summary['metrics'])}")


def _template_summary(template: Any) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "audience": template.audience,
        "cadence": template.cadence,
        "tabs": [tab.name for tab in template.tabs],
        "metrics": template.metric_ids(),
    }


# --- metrics ------------------------------------------------------------------------------


@main.group()
def metrics() -> None:
    """List and show KPI definitions."""


def _metric_dict(metric: Any) -> dict[str, Any]:
    is_instance = dataclasses.is_dataclass(metric) and not isinstance(metric, type)
    data = dataclasses.asdict(metric) if is_instance else dict(metric)
    return {k: (str(v) if hasattr(v, "value") else v) for k, v in data.items()}


@metrics.command("list")
@click.option("--family", help="Only metrics of this family (e.g. sales, retention).")
@click.option(
    "--custom",
    "custom_files",
    multiple=True,
    type=click.Path(exists=True),
    help="A YAML file of your own metrics to include (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def metrics_list(family: str | None, custom_files: tuple[str, ...], as_json: bool) -> None:
    """List the metric catalogue."""
    from sheets_sync.metrics.catalogue import load_catalogue

    catalogue = load_catalogue([Path(p) for p in custom_files])
    found = [m for m in catalogue.all() if family is None or m.family == family]
    if family and not found:
        raise click.BadParameter(
            f"no metric in family {family!r}; families: {', '.join(catalogue.families())}",
            param_hint="--family",
        )
    if as_json:
        _json([_metric_dict(m) for m in found])
        return
    table = RichTable("id", "family", "format", "up is", "label")
    for m in found:
        table.add_row(m.id, m.family, str(m.fmt), "good" if m.up_is_good else "bad", m.label)
    stdout.print(table)


@metrics.command("show")
@click.argument("metric_id")
@click.option(
    "--custom",
    "custom_files",
    multiple=True,
    type=click.Path(exists=True),
    help="A YAML file of your own metrics to include (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def metrics_show(metric_id: str, custom_files: tuple[str, ...], as_json: bool) -> None:
    """Show one metric's exact definition."""
    from sheets_sync.metrics.catalogue import load_catalogue

    metric = load_catalogue([Path(p) for p in custom_files]).get(metric_id)
    if as_json:
        _json(_metric_dict(metric))
        return
    stdout.print(f"[bold]{metric.label}[/bold] ({metric.id}) - {metric.family}")
    stdout.print(metric.definition)
    direction = "higher is better" if metric.up_is_good else "lower is better"
    stdout.print(f"format: {metric.fmt}   {direction}")


# --- refresh ------------------------------------------------------------------------------


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or datetime", param_hint="--now"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@main.command()
@click.argument("config_path", type=click.Path(dir_okay=False))
@click.option("--full", is_flag=True, help="Ignore cursors and read everything again.")
@click.option("--now", help="Pretend the refresh runs at this ISO date/time.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def refresh(config_path: str, full: bool, now: str | None, quiet: bool, as_json: bool) -> None:
    """Refresh a report from a YAML config."""
    from sheets_sync.config import load_config
    from sheets_sync.refresh import refresh as run_refresh

    config = load_config(config_path)
    with _progress(quiet or as_json) as progress:
        result = run_refresh(config, full_refresh=full, now=_parse_now(now), progress=progress)
    _print_result(result, as_json)


def _print_result(result: Any, as_json: bool) -> None:
    payload = {
        "location": result.location,
        "template": result.template_id,
        "tabs": result.tabs,
        "seconds": round(result.seconds, 3),
        "rows": result.row_counts,
        "warnings": [i.describe() for i in result.issues if i.severity != "info"],
        "source_requests": result.source_requests,
        "destination_requests": result.write.requests,
    }
    if as_json:
        _json(payload)
        return
    rows = sum(sum(t.values()) for t in result.row_counts.values())
    click.echo(
        f"wrote {len(result.tabs)} tabs of {result.template_id} to {result.location} "
        f"({rows:,} source rows, {result.seconds:.1f}s, {len(payload['warnings'])} warnings)"
    )


@main.command()
@click.argument("config_path", type=click.Path(dir_okay=False))
def validate(config_path: str) -> None:
    """Check a config and its template without reading any data."""
    from sheets_sync.config import load_config
    from sheets_sync.refresh import build_destination, build_sources, load_report_template

    config = load_config(config_path)
    template = load_report_template(config)
    build_sources(config)
    destination = build_destination(config)
    click.echo(
        f"ok: template {template.id}, {len(config.sources)} source(s), "
        f"destination {destination.location()}"
    )


@main.command()
@click.argument("config_path", type=click.Path(dir_okay=False))
def check(config_path: str) -> None:
    """Test every source's connection and permissions."""
    from sheets_sync.config import load_config
    from sheets_sync.refresh import build_sources

    config = load_config(config_path)
    failed = False
    for sc, source in zip(config.sources, build_sources(config), strict=True):
        outcome = source.check()
        mark = "ok" if outcome.ok else "FAILED"
        click.echo(f"{sc.name}: {mark}: {outcome.message}")
        if outcome.missing:
            click.echo(f"  missing: {', '.join(outcome.missing)}")
        failed |= not outcome.ok
    if failed:
        sys.exit(1)


# --- demo ---------------------------------------------------------------------------------


def demo_config(template: str, output: Path, size: int, seed: int, as_of: date) -> Any:
    """The embedded-defaults config: the demo company written to a local workbook.

    The company's Salesforce org, HubSpot portal and spend sheet are three sources, blended like
    real ones (they share a seed, so their overlapping contacts and companies line up).
    """
    from sheets_sync.config import parse_config

    return parse_config(
        {
            "report": {
                "title": "Demo company",
                "template": template,
                "currency": "USD",
                "currency_rates": {"EUR": 1.08, "GBP": 1.27},
            },
            "sources": [
                {
                    "type": "demo",
                    "name": flavor,
                    "options": {
                        "size": size,
                        "seed": seed,
                        "as_of": as_of.isoformat(),
                        "flavor": flavor,
                    },
                }
                for flavor in ("salesforce", "hubspot", "spend")
            ],
            "destination": {"type": "xlsx", "path": str(output)},
            "state_dir": str(output.parent / ".sheets-sync"),
        },
        origin="demo",
    )


@main.command()
@click.option(
    "--template",
    "template_ids",
    multiple=True,
    help="Template id(s) to build (default: every bundled template).",
)
@click.option(
    "--output-dir",
    default="out/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder the workbooks are written to, one per template.",
)
@click.option(
    "--size",
    default=5000,
    show_default=True,
    type=click.IntRange(100),
    help="Number of deals the demo company has.",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option("--as-of", "as_of", help="Date the demo data ends at (default today).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def demo(
    template_ids: tuple[str, ...],
    output_dir: str,
    size: int,
    seed: int,
    as_of: str | None,
    quiet: bool,
) -> None:
    """Build report workbooks from the bundled demo company, no account needed."""
    from sheets_sync.refresh import refresh as run_refresh
    from sheets_sync.templates import list_templates

    ids = list(template_ids) or [t.id for t in list_templates()]
    end = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    folder = Path(output_dir)
    with _progress(quiet) as progress:
        results = [
            run_refresh(
                demo_config(tid, folder / f"{tid}.xlsx", size, seed, end), progress=progress
            )
            for tid in ids
        ]
    for result in results:
        _print_result(result, as_json=False)


__import__("sheets_sync.web.cli", fromlist=["register"]).register(main)  # serve, db, keys


if __name__ == "__main__":  # pragma: no cover
    main()
