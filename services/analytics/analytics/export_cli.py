"""``python -m analytics export`` and ``import-tags``: the big-data platform's files on
disk, with the watermark kept beside them so each run takes only what is new."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import click

from analytics.export_datasets import Dataset, ExportFormat
from analytics.settings import AnalyticsSettings
from service_runtime.cli import read_settings
from service_runtime.config import database_url
from service_runtime.db import Database
from service_runtime.errors import InvalidInput
from service_runtime.ids import utcnow


def _write_atomically(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


@click.command("export", help="Write what is new in DATASETS (all when none is named) "
                              "into files under --out; each dataset's watermark is kept "
                              "in --out/<dataset>.watermark.")
@click.argument("datasets", nargs=-1, type=click.Choice([d.value for d in Dataset]))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--format", "export_format", default=ExportFormat.NDJSON.value,
              type=click.Choice([f.value for f in ExportFormat]))
@click.option("--limit", default=100_000, type=click.IntRange(1, 1_000_000),
              help="rows a file at most")
def export_command(datasets: tuple[str, ...], out: Path, export_format: str,
                   limit: int) -> None:
    from analytics import exports  # the command's own: a worker never loads it

    settings = read_settings(AnalyticsSettings.from_env)
    out.mkdir(parents=True, exist_ok=True)
    db = Database(database_url("analytics"))
    try:
        for dataset in [Dataset(d) for d in datasets] or list(Dataset):
            mark = out / f"{dataset.value}.watermark"
            written = 0
            while True:
                since = mark.read_text().strip() if mark.exists() else ""
                # A snapshot starts again each run: its position is only for paging.
                if dataset is Dataset.PROFILE_TAGS and written == 0:
                    since = ""
                page = exports.export(db, dataset, since, limit, utcnow(),
                                      settings.pseudonym_key(),
                                      timedelta(seconds=settings.export_settle_s))
                if page.rows:
                    name = f"{dataset.value}-after-{since or '0'}.{export_format}"
                    _write_atomically(out / name,
                                      exports.render(page, ExportFormat(export_format)))
                    written += len(page.rows)
                # The watermark moves only once the file is complete; it moves past
                # changes that make no row too (an order's payment, for its lines).
                if page.watermark != (since or "0"):
                    _write_atomically(mark, page.watermark.encode())
                if not page.more:
                    break
            if dataset is Dataset.PROFILE_TAGS:
                mark.unlink(missing_ok=True)
            click.echo(f"analytics: {dataset.value}: {written} rows")
    finally:
        db.dispose()


@click.command("import-tags", help="Import a tag file from the big-data platform (NDJSON, "
                                   "one {member_id, tags} a line): each named member's "
                                   "imported tags become the file's.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_tags_command(file: Path) -> None:
    from analytics import exports

    settings = read_settings(AnalyticsSettings.from_env)
    try:
        lines = exports.parse_tag_lines(file.read_text(encoding="utf-8"))
    except InvalidInput as error:
        raise click.ClickException(json.dumps(error.extra["errors"], ensure_ascii=False)) \
            from error
    db = Database(database_url("analytics"))
    try:
        done = exports.import_tags(db, lines, settings.pseudonym_key(), file.name, utcnow())
    finally:
        db.dispose()
    click.echo(f"analytics: {done.tags} tags of {done.members} members imported; "
               f"{len(done.unknown)} unknown members")
