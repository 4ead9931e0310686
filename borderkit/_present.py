"""What every output says and how it writes a number: labels, notices, formatting.

Maps, the web map, the HTML report, the text table and the GIS exports all call these,
so that the same thing is said the same way everywhere.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from borderkit.case import Case, Layer
from borderkit.enums import LineBasis, Quantity

if TYPE_CHECKING:
    from borderkit._measure import Measurements
    from borderkit._report import Report
    from borderkit._verify import Verdict

__all__ = [
    "PROXY_NOTICE",
    "SYNTHETIC_NOTICE",
    "attribution",
    "basis_record",
    "claim_fields",
    "face_label",
    "face_verdicts",
    "faces_label",
    "format_value",
    "is_proxy",
    "new_line_label",
    "notices",
    "section_verdicts",
    "went_to",
]

#: What every output (maps, web map, report, exports) says when the case has no turning points.
PROXY_NOTICE = (
    "The new line is a proxy: this case has no turning points; faces between the lines include "
    "mapping differences, not only handovers."
)
#: What every output says about a case marked ``synthetic = true``.
SYNTHETIC_NOTICE = "SYNTHETIC case: made-up data for tests and examples, not a real border."

#: Decimals shown for a value in a claim's unit; other units (counts) get 4 significant digits.
_DECIMALS = {"km": 3, "m": 0, "km2": 3, "ha": 2, "m2": 0}


# ---------------------------------------------------------------------- line basis
def is_proxy(m: Measurements) -> bool:
    """True when the measured new line is not the line through the case's turning points."""
    return m.line_basis is not LineBasis.TURNING_POINTS


def _source_short(lay: Layer | None) -> str:
    """The first clause of a layer's source, without commit hashes: ``"geoBoundaries gbOpen ARM ADM0"``."""
    if lay is None:
        return ""
    head = lay.source
    for sep in (",", ";", "("):
        head = head.split(sep)[0]
    short = " ".join(w for w in head.split() if not w.startswith("@"))
    return short or lay.name


def new_line_label(case: Case, m: Measurements) -> str:
    """What maps call the new line: a proxy, with its source and date, unless there are turning points.

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> new_line_label(case, measure(case))
    'New line: proxy (OpenStreetMap via timezone-boundary-builder 2026c, 2026-07-10) — turning points not in this case'
    """
    if not is_proxy(m):
        return "New line (turning points)"
    lay = case.layer("new_line")
    what = ", ".join(b for b in (_source_short(lay), lay.date if lay is not None else "") if b)
    return (
        f"New line: proxy ({what}) — turning points not in this case"
        if what
        else "New line: proxy — turning points not in this case"
    )


def went_to(case: Case, m: Measurements, code: str) -> str:
    """Where a face's area went, in a sentence: "now on <country>'s side" for a proxy line
    (its faces include mapping differences), else "to <country>".

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> went_to(case, measure(case), "ARM")
    "now on Armenia's side"
    """
    name = next((c.name for c in case.countries if c.code == code), code)
    return f"now on {name}'s side" if is_proxy(m) else f"to {name}"


def faces_label(case: Case, m: Measurements, code: str) -> str:
    """What maps call the faces whose country changed to ``code``.

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> faces_label(case, measure(case), "AZE")
    "Now on Azerbaijan's side (old line → new line)"
    """
    name = next((c.name for c in case.countries if c.code == code), code)
    return f"Now on {name}'s side (old line → new line)" if is_proxy(m) else f"Handed over to {name}"


#: What maps and the web map call a sliver face: narrower than the lines' combined accuracy.
SLIVER_LABEL = "Sliver: within the lines' accuracy, counted nowhere"
#: Added to a face's label when it holds no village an area claim names.
MAPPING_DIFFERENCE = ": mapping difference only"


def face_label(case: Case, m: Measurements, code: str, kind: str = "") -> str:
    """What maps call a face now on ``code``'s side, by its ``kind`` (``Measurements.areas["kind"]``).

    Faces that hold no village an area claim names are *mapping differences*; slivers are
    within the data's uncertainty. Other faces: :func:`faces_label`.

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> face_label(case, measure(case), "ARM", "mapping difference")
    "Now on Armenia's side (old line → new line): mapping difference only"
    """
    if kind == "sliver":
        return SLIVER_LABEL
    label = faces_label(case, m, code)
    return label + MAPPING_DIFFERENCE if kind == "mapping difference" else label


def notices(case: Case, m: Measurements) -> list[str]:
    """The notices every output shows: synthetic data, and a proxy new line."""
    out = [SYNTHETIC_NOTICE] if case.synthetic else []
    if is_proxy(m):
        out.append(PROXY_NOTICE)
    return out


def basis_record(case: Case, m: Measurements) -> dict[str, Any]:
    """The GeoJSON foreign member ``"borderkit"``: case id, line basis, its notes, synthetic."""
    return {"case": case.id, "line_basis": str(m.line_basis), "notes": list(m.notes), "synthetic": bool(case.synthetic)}


def _description(case: Case, m: Measurements, layer: str) -> str:
    """A GeoPackage table's description: the basis in short."""
    text = f"borderkit case {case.id}, layer {layer}; line basis: {m.line_basis}"
    if is_proxy(m):
        text += " (a proxy: no turning points in this case; faces between the lines include mapping differences)"
    if case.synthetic:
        text += "; SYNTHETIC case, not a real border"
    return text


def format_value(value: float | None, unit: str) -> str:
    """A value in a claim's unit with fixed decimals (``km`` 3, ``m`` 0, ``km2`` 3, ``ha`` 2).

    Examples
    --------
    >>> format_value(17.83512, "km"), format_value(9.9512, "km2"), format_value(750.4, "m")
    ('17.835', '9.951', '750')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    nd = _DECIMALS.get(unit)
    # + 0.0: a value that rounds to zero prints as 0.000, not -0.000.
    return f"{round(value, nd) + 0.0:.{nd}f}" if nd is not None else f"{value + 0.0:.4g}"


def section_verdicts(report: Report | None, pair: str) -> list[Verdict]:
    """The length claims about ``pair``'s stretch (by name, not the totals)."""
    if report is None or not pair:
        return []
    return [
        v
        for v in report.verdicts
        if v.claim.quantity == Quantity.LENGTH and not v.claim.subject and pair in v.claim.scope
    ]


def face_verdicts(report: Report | None, to_country: str, pairs: str, sliver: bool) -> list[Verdict]:
    """The area claims a face counts for: to its country, and (unless total) within its pairs.

    A sliver counts for nothing, so no claim is about it.
    """
    if report is None or sliver:
        return []
    face_pairs = {p for p in pairs.split(",") if p}
    return [
        v
        for v in report.verdicts
        if v.claim.quantity == Quantity.AREA
        and not v.claim.subject
        and v.claim.direction == to_country
        and (v.claim.is_total or face_pairs <= set(v.claim.scope))
    ]


def _interval_text(v: Verdict) -> str:
    if v.interval is None:
        return ""
    lo, _, hi = v.interval
    u = v.claim.unit
    on = next(iter(v.by_rendering), "the measured line")
    return f"{v.claim.id}: {format_value(lo, u)}–{format_value(hi, u)} {u} (95 %, on {on})"


def claim_fields(verdicts: list[Verdict]) -> dict[str, str]:
    """``claims`` (final verdicts), ``claims_first_order`` and ``claims_interval`` of a feature."""
    return {
        "claims": "; ".join(f"{v.claim.id}: {v.final_verdict}" for v in verdicts),
        "claims_first_order": "; ".join(f"{v.claim.id}: {v.verdict}" for v in verdicts),
        "claims_interval": "; ".join(t for t in (_interval_text(v) for v in verdicts) if t),
    }


def attribution(case: Case) -> str:
    """The data credit of a case, once per source and licence, from its layers (never hard-coded).

    Examples
    --------
    >>> from borderkit import load_case
    >>> attribution(load_case("tavush-2024")).startswith("Data: © OpenStreetMap contributors (ODbL 1.0)")
    True
    """
    seen: dict[str, None] = {}
    osm = False
    for lay in case.layers.values():
        text = f"{lay.source} {lay.licence}".lower()
        if "openstreetmap" in text or "odbl" in text:
            osm = True
            continue
        if lay.licence:
            seen.setdefault(lay.licence, None)
    parts = (["© OpenStreetMap contributors (ODbL 1.0)"] if osm else []) + list(seen)
    sources = (
        "sources in the case's SOURCES.md" if (case.root / "SOURCES.md").is_file() else "this case has no SOURCES.md"
    )
    head = "SYNTHETIC data, made up for tests and examples" if case.synthetic and not parts else "Data: "
    body = "; ".join(parts) if parts else ("no licence stated" if not case.synthetic else "")
    return f"{head}{body}; {sources}." if head == "Data: " else f"{head}; {sources}."
