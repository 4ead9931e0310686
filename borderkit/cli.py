"""The ``borderkit`` command line: thin over the library.

Every command prints what the library returns; errors become one line on stderr and
exit code 2, with no traceback. Outputs replace existing files only with ``--overwrite``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from borderkit._defaults import DEFAULT_DRAWS, MAX_DRAWS
from borderkit._folders import _resolve, list_cases
from borderkit.errors import BorderkitError

if TYPE_CHECKING:
    from borderkit._report import Report

__all__ = ["app", "main"]

DEFAULT_CASE = "tavush-2024"

app = typer.Typer(
    name="borderkit",
    help="Check what governments say about a border delimitation against coordinates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

CaseArg = Annotated[str, typer.Argument(help="A shipped case id or a case folder.")]
OutOpt = Annotated[Path, typer.Option("-o", "--output", help="File to write (format by suffix).")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace the output if it exists.")]


def _version(value: bool) -> None:
    if value:
        from borderkit import __version__

        typer.echo(f"borderkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Check what governments say about a border delimitation against coordinates."""


def _fail(err: Exception) -> None:
    typer.echo(f"borderkit: error: {_cli_words(str(err))}", err=True)
    raise typer.Exit(2)


def _num(v: float, *, sign: bool = False) -> str:
    """Fixed-point with about three significant digits: 17.8, 0.85, 1,270 (never 1.27e+03)."""
    a = abs(v)
    if a == 0:
        return "0"
    spec = ",.0f" if a >= 100 else ".1f" if a >= 10 else ".2f" if a >= 0.1 else ".3f"
    return format(v, ("+" if sign else "") + spec)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


@app.command()
def cases() -> None:
    """List the shipped cases."""
    from borderkit._folders import read_case_toml

    # Titles from case.toml alone: loading every layer of every case only to list them is slow.
    for cid in list_cases():
        try:
            title = str(read_case_toml(_resolve(cid) / "case.toml").get("title", ""))
        except (OSError, BorderkitError) as err:
            title = f"(does not load: {err})"
        typer.echo(f"{cid}\t{title}")


@app.command()
def verify(
    case: CaseArg = DEFAULT_CASE,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 1 when a claim's verdict, or a cross-check between claims, is inconsistent (named on stderr).",
        ),
    ] = False,
    draws: DrawsOpt = DEFAULT_DRAWS,
    seed: SeedOpt = 0,
) -> None:
    """Check every reported figure of CASE against its coordinates, and say how sure."""
    try:
        report = _analyse(case, draws, seed)
    except BorderkitError as err:
        _fail(err)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, allow_nan=False))
    else:
        typer.echo(render_report(report))
    if strict and report.inconsistent:
        typer.echo(f"borderkit: --strict: inconsistent: {', '.join(report.inconsistent)}", err=True)
        raise typer.Exit(1)


def _analyse(case: str, draws: int, seed: int) -> Report:
    from borderkit._api import analyse
    from borderkit.case import load_case

    return analyse(load_case(case), draws=draws, seed=seed)


def render_report(report: Report) -> str:
    """The text form of a :class:`borderkit.Report` printed by ``borderkit verify``."""
    from borderkit._text import render_report as text

    return text(report)


DrawsOpt = Annotated[
    int, typer.Option("--draws", min=0, max=MAX_DRAWS, help="Monte Carlo draws behind the verdicts (0: off).")
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed of the draws (>= 0): same seed, same numbers.")]


@app.command()
def export(
    case: CaseArg = DEFAULT_CASE,
    output: OutOpt = Path("borderkit.geojson"),
    overwrite: OverwriteOpt = False,
    draws: DrawsOpt = DEFAULT_DRAWS,
    seed: SeedOpt = 0,
) -> None:
    """Write CASE's layers and measurements to GeoJSON, GeoPackage, KML, Shapefile or CSV."""
    from borderkit._export import export as run_export

    try:
        path = run_export(_analyse(case, draws, seed), output, overwrite=overwrite)
    except BorderkitError as err:
        _fail(err)
    typer.echo(f"wrote {path}")


@app.command("map")
def map_(
    case: CaseArg = DEFAULT_CASE,
    output: OutOpt = Path("borderkit-map.png"),
    pair: Annotated[str | None, typer.Option(help="Detail map of one settlement pair (its id).")] = None,
    tiles: Annotated[bool, typer.Option("--tiles", help="HTML map: add an online OpenStreetMap tile layer.")] = False,
    sheets: Annotated[
        int | None, typer.Option("--sheets", help="PNG/SVG/PDF map: draw the 1976 sheet frames at this scale.")
    ] = None,
    overwrite: OverwriteOpt = False,
    draws: DrawsOpt = DEFAULT_DRAWS,
    seed: SeedOpt = 0,
) -> None:
    """Draw CASE: PNG, SVG or PDF (matplotlib), or HTML (interactive, folium)."""
    allowed = (".png", ".svg", ".pdf", ".html", ".htm")
    if output.suffix.lower() not in allowed:
        _fail(
            ValueError(f"{output}: cannot draw a map as {output.suffix or '(no suffix)'!r}. Use {', '.join(allowed)}")
        )
    if sheets is not None and output.suffix.lower() in (".html", ".htm"):
        _fail(ValueError("--sheets: the web map draws no sheet frames; give a .png, .svg or .pdf output"))
    if tiles and output.suffix.lower() not in (".html", ".htm"):
        _fail(ValueError(f"--tiles: only the web map (.html) has base-map tiles; {output.suffix} maps draw none"))
    try:
        if output.suffix.lower() in (".html", ".htm"):
            if pair is not None:
                _fail(ValueError(f"--pair {pair!r}: the HTML map shows every pair; give --pair with .png/.svg/.pdf"))
            from borderkit.webmap import save_web_map

            path = save_web_map(_analyse(case, draws, seed), output, tiles=tiles, overwrite=overwrite)
        else:
            from borderkit._plot import save_map

            path = save_map(_analyse(case, draws, seed), output, pair=pair, overwrite=overwrite, sheets=sheets)
    except BorderkitError as err:
        _fail(err)
    typer.echo(f"wrote {path}")


@app.command()
def maps(
    case: CaseArg = DEFAULT_CASE,
    folder: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the maps into.")] = Path("."),
    suffix: Annotated[str, typer.Option(help="Map format: .png, .svg or .pdf.")] = ".png",
    overwrite: OverwriteOpt = False,
    draws: DrawsOpt = DEFAULT_DRAWS,
    seed: SeedOpt = 0,
) -> None:
    """Write the overview map and one detail map per settlement pair of CASE."""
    from borderkit._plot import save_maps

    try:
        paths = save_maps(_analyse(case, draws, seed), folder, suffix=suffix, overwrite=overwrite)
    except BorderkitError as err:
        _fail(err)
    for p in paths:
        typer.echo(f"wrote {p}")


@app.command()
def report(
    case: CaseArg = DEFAULT_CASE,
    output: OutOpt = Path("borderkit-report.html"),
    overwrite: OverwriteOpt = False,
    draws: DrawsOpt = DEFAULT_DRAWS,
    seed: SeedOpt = 0,
) -> None:
    """Write a self-contained, printable HTML report of CASE."""
    from borderkit._html import write_report

    try:
        path = write_report(_analyse(case, draws, seed), output, overwrite=overwrite)
    except BorderkitError as err:
        _fail(err)
    typer.echo(f"wrote {path}")


@app.command()
def convert(
    input: Annotated[Path, typer.Argument(help="Points: CSV (decimal, DMS or grid x/y) or any vector file.")],
    output: OutOpt,
    crs: Annotated[str | None, typer.Option(help="CRS of the input, e.g. EPSG:28408.")] = None,
    operation: Annotated[str | None, typer.Option(help="Datum operation to use, e.g. EPSG:15865.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Convert a list of points to WGS 84 GeoJSON or CSV, recording the datum operation."""
    from borderkit.convert import convert_points

    try:
        tr = convert_points(input, output, crs=crs, operation=operation, overwrite=overwrite)
    except BorderkitError as err:
        _fail(err)
    acc = "unknown" if tr.accuracy_m is None else f"{tr.accuracy_m:g} m"
    if tr.code is None:
        typer.echo("transformation: none (the data are already WGS 84)", err=True)
    else:
        typer.echo(
            f"transformation: {tr.code} {tr.name} (accuracy {acc}; spread between candidates {tr.spread_m:.1f} m)",
            err=True,
        )
    typer.echo(f"wrote {output}")


@app.command()
def profile(
    case: CaseArg = DEFAULT_CASE,
    rendering: Annotated[
        str | None, typer.Option(help="Only this rendering (a line layer's name); default: every one.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Where each settlement, crossing, face and stretch end lies, in km along each rendering of the line."""
    try:
        report = _analyse(case, 0, 0)
    except BorderkitError as err:
        _fail(err)
    markers = report.profile()
    ends = report.line_profile.claim_ends if report.line_profile is not None else None
    names = list(dict.fromkeys(markers["rendering"]))
    if rendering is not None:
        if rendering not in names:
            _fail(ValueError(f"--rendering {rendering!r}: no such rendering. Use one of {names}"))
        names = [rendering]
    if as_json:
        doc = {
            "case": report.case.id,
            "markers": markers[markers["rendering"].isin(names)].to_dict("records"),
            "claim_ends": [] if ends is None else ends[ends["rendering"].isin(names)].to_dict("records"),
        }
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=float).replace("NaN", "null"))
        return
    for name in names:
        lay = report.case.layers.get(name)
        sel = markers[markers["rendering"] == name]
        typer.echo(f"{lay.title if lay else name} ({name}): km along the line from its first vertex")
        rows = [
            [
                f"{r.km:8.3f}",
                r.kind,
                r.name,
                "" if r.offset_m != r.offset_m or r.offset_m is None else f"{r.offset_m:,.0f} m",
            ]
            for r in sel.itertuples()
        ]
        typer.echo(_table(rows, ["km", "marker", "name", "off the line"]))
        if ends is not None:
            for r in ends[ends["rendering"] == name].itertuples():
                claim = report.case.claim(r.claim)
                typer.echo(
                    f"  {claim.value:g} {claim.unit} ({r.claim}) that {r.anchor} (km {r.anchor_km:.3f}) would "
                    f"{'end' if r.anchor.startswith('begins') else 'begin'} at "
                    f"km {r.end_km:.3f} ({r.lat:.5f} N, {r.lon:.5f} E), {r.nearest_m:,.0f} m from {r.nearest}"
                )
        typer.echo("")


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="A line: a layer name of CASE, or a vector file (WGS 84).")],
    b: Annotated[str, typer.Argument(help="The other line, likewise.")],
    case: Annotated[str, typer.Option("--case", help="The case whose layers A and B name.")] = DEFAULT_CASE,
    step: Annotated[float, typer.Option("--step", min=1.0, help="Station spacing along A, metres.")] = 25.0,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also draw the offsets (.png/.svg).")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Compare two renderings of a line: perpendicular offsets along it, where they differ most, correlation."""
    from borderkit._compare import compare_lines

    try:
        from borderkit.case import load_case

        loaded = load_case(case)
        ext = loaded.layer("extent")
        la, lb = (_line_arg(loaded, x) for x in (a, b))
        res = compare_lines(la, lb, step_m=step, name_a=a, name_b=b, clip=ext.union() if ext is not None else None)
        if output is not None:
            # Neither the case's files nor a line given as a file may be written over.
            given = [Path(x) for x in (a, b) if x not in loaded.layers]
            _save_comparison(res, output, overwrite, [*loaded.inputs, *given])
    except BorderkitError as err:
        _fail(err)
    lon, lat = res.max_at_lonlat
    typer.echo(f"{a} vs {b}: {len(res.offset_m):,} stations every {step:g} m along {a}" +
               (" inside the case's extent" if ext is not None else ""))  # fmt: skip
    typer.echo(f"  offset of {b} from {a}: median {res.median_abs_offset_m:,.0f} m, p95 {res.p95_abs_offset_m:,.0f} m, "
               f"max {res.max_abs_offset_m:,.0f} m; Hausdorff {res.hausdorff_m:,.0f} m")  # fmt: skip
    typer.echo(f"  they differ most at km {res.max_at_km:.2f} along {a} ({lat:.5f} N, {lon:.5f} E)")
    typer.echo(f"  correlation of the offsets: {res.neighbour_correlation:.2f} between neighbouring stations; "
               f"falls to 1/e at {res.e_folding_m:,.0f} m")  # fmt: skip
    typer.echo(f"  vertex spacing: {a} {res.spacing_a_m:.0f} m, {b} {res.spacing_b_m:.0f} m")
    if output is not None:
        typer.echo(f"wrote {output}")


def _line_arg(case_obj: object, name: str) -> object:
    from borderkit._measure import line_of
    from borderkit.case import Case
    from borderkit.readers import read_layer

    assert isinstance(case_obj, Case)
    if name in case_obj.layers:
        return line_of(case_obj, case_obj.layers[name])[0]
    path = Path(name)
    if not path.is_file():
        lines = [n for n, lay in case_obj.layers.items() if lay.role in ("new_line", "new_line_alt", "old_line")]
        msg = f"{name!r}: neither a layer of case {case_obj.id!r} ({', '.join(lines)}) nor a file. Give one of them"
        raise BorderkitError(msg)
    frame, _ = read_layer(path, crs="EPSG:4326")
    import shapely

    return shapely.line_merge(shapely.union_all(frame.geometry.to_numpy()))


def _save_comparison(res: object, output: Path, overwrite: bool, inputs: list[Path]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from borderkit._io import atomic_output
    from borderkit.errors import ExportError

    if output.suffix.lower() not in (".png", ".svg", ".pdf"):
        msg = f"{output}: draw the comparison as .png, .svg or .pdf"
        raise ExportError(msg)
    fig = Figure(figsize=(9, 3.5))
    FigureCanvasAgg(fig)
    res.plot(ax=fig.add_subplot())  # type: ignore[attr-defined]
    with atomic_output(output, overwrite=overwrite, inputs=inputs) as tmp:
        fig.savefig(tmp, format=output.suffix.lower()[1:], dpi=120, bbox_inches="tight", metadata={"Software": None}
                    if output.suffix.lower() == ".png" else None)  # fmt: skip


def _cli_words(text: str) -> str:
    """The command line's words for the library's Python ones."""
    for python, cli in (
        ("pass overwrite=True / --overwrite", "use --overwrite"),
        ("overwrite=True / --overwrite", "--overwrite"),
        ("Pass crs='EPSG:4326'", "Give --crs EPSG:4326"),
        ("Declare crs='EPSG:4326'", "Give --crs EPSG:4326"),
        ("Pass crs='EPSG:....'", "Give --crs"),
    ):
        text = text.replace(python, cli)
    return text


def main() -> None:
    """Entry point of the ``borderkit`` script: every error is one line on stderr, exit code 2."""
    import warnings

    from borderkit.errors import BorderkitWarning

    default_show = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        # A suspicious input is one line on stderr, like an error; other warnings as Python shows them.
        if issubclass(category, BorderkitWarning):
            print(f"borderkit: warning: {message}", file=sys.stderr)
        else:
            default_show(message, category, *args, **kwargs)

    warnings.showwarning = show
    # typer bundles its own click: its usage errors share a base class with typer.BadParameter.
    usage_error = cast("type[Exception]", typer.BadParameter.__mro__[1])
    try:
        # Without standalone mode an Exit comes back as its code.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as err:
        sys.exit(err.exit_code)
    except usage_error as err:
        ctx = getattr(err, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        print(f"borderkit: error: {err.format_message()}{where}", file=sys.stderr)  # type: ignore[attr-defined]
        sys.exit(2)
    except typer.Abort:
        print("borderkit: interrupted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("borderkit: interrupted", file=sys.stderr)
        sys.exit(130)
    except BorderkitError as err:  # pragma: no cover - commands catch their own
        print(f"borderkit: error: {_cli_words(str(err))}", file=sys.stderr)
        sys.exit(2)


def _sheet_row(r: Any) -> list[str]:
    from borderkit._sheets import _dms

    return [
        r.name,
        f"{_dms(r.west_sk42)}–{_dms(r.east_sk42)}E",
        f"{_dms(r.south_sk42)}–{_dms(r.north_sk42)}N",
        r.pairs or "—",
        r.layers or "—",
    ]


@app.command()
def sheets(
    case: Annotated[
        str | None, typer.Argument(help=f"A shipped case id or a case folder (default {DEFAULT_CASE}).")
    ] = None,
    scale: Annotated[
        int, typer.Option("--scale", help="Scale denominator: 1000000, 500000, 200000, 100000, 50000 or 25000.")
    ] = 50_000,
    gcps: Annotated[
        str | None,
        typer.Option(
            "--gcps", help="Control points of this sheet instead (e.g. K-38-103-В); its name gives the scale."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Sheets: .gpkg or .geojson. Control points: .points (QGIS), .gpkg, .geojson."
        ),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """List the General Staff map sheets (SK-42) that CASE's lines and extent touch, or a sheet's control points."""
    from borderkit._sheets import sheet_gcps, sheets_frame, write_gcps, write_sheets
    from borderkit.case import load_case

    try:
        if gcps is not None:
            if case is not None:
                _fail(ValueError(f"--gcps {gcps!r} writes one sheet's control points: drop the case {case!r}"))
            points = sheet_gcps(gcps)
            if output is not None:
                typer.echo(f"wrote {write_gcps(points, output, overwrite=overwrite)} ({len(points)} points)")
                return
            rows = [
                [r.id, f"{r.easting_m:.3f}", f"{r.northing_m:.3f}", f"{r.lon_sk42:.7f}", f"{r.lat_sk42:.7f}"]
                for r in points.itertuples()
            ]
            typer.echo(f"{points.attrs['sheet']}: {len(points)} control points in {points.crs.to_string()}")
            typer.echo(_table(rows, ["id", "easting_m", "northing_m", "lon_sk42", "lat_sk42"]))
            return
        loaded = load_case(case or DEFAULT_CASE)
        frame = sheets_frame(loaded, scale)
        if output is not None:
            typer.echo(f"wrote {write_sheets(frame, output, overwrite=overwrite)} ({len(frame)} sheets)")
            return
    except BorderkitError as err:
        _fail(err)
    typer.echo(f"{loaded.title}: {len(frame)} sheets at 1:{scale:,} (frames in Pulkovo 1942, EPSG:4284)")
    typer.echo(
        _table([_sheet_row(r) for r in frame.itertuples()], ["sheet", "longitude", "latitude", "pairs", "layers"])
    )
