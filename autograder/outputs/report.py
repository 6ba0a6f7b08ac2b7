"""The class report that `grade` writes beside grades.csv: report.html.

report.html is one static page for the instructor (no script, no request: every plot is an
inline PNG with alt text, every plot has a table with its numbers beside it). It shows the
score distribution in total and per question, the pass rate of each test (hidden tests named:
the page is for the instructor only), the statuses with the submissions behind each, the
seconds per submission, and the classic mistakes the checks recognised (outputs/mistakes.py),
each with how many students made it and which (mistakes.csv, outputs/mistakes.py, holds the
same mistakes as rows).

The page depends only on the outcomes, never on the clock: a rerun that takes every outcome
from the cache finds the page it would write already there (a digest in the page says so) and
skips drawing the plots.
"""

import base64
import hashlib
import html
import io
import json
import statistics
from collections import Counter, defaultdict

from ..results import GradingRun, points, status_kinds, status_of, totals
from ..text import write_atomically
from . import mistakes as mistakes_mod

DIGEST_META = "autograder-report-digest"


# ----------------------------------------------------------------------------- what the page says


def graded_cases(outcomes):
    """{(question, test name, hidden): [passed, ...]} over the questions that were graded (a GPU
    question skipped for want of a GPU counts for nothing)."""
    cases = defaultdict(list)
    for o in outcomes:
        for q in o.questions:
            if q.gpu_skipped:
                continue
            for c in q.cases:
                cases[(q.name, c.name, c.hidden)].append(c.passed)
    return cases


# ----------------------------------------------------------------------------- plots


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def histogram_png(values, possible, xlabel, title):
    """A bar per score value: how many submissions got it (scores are few distinct values)."""
    counts = Counter(values)
    fig = _figure(6, 2.6)
    ax = fig.subplots()
    xs = sorted(counts)
    ax.bar(xs, [counts[x] for x in xs], width=0.8 if possible > 4 else 0.2 * possible, color="#3b6ea5")
    ax.set_xlim(-0.6, possible + 0.6)  # scores on their own scale: gaps between them show
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(f"{xlabel} (out of {points(possible)})")
    ax.set_ylabel("submissions")
    ax.set_title(title)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def barh_png(labels, values, xlabel, title, xmax=None):
    fig = _figure(6.5, 0.8 + 0.28 * max(len(labels), 1))
    ax = fig.subplots()
    ax.barh(range(len(labels)), values, color="#3b6ea5")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if xmax is not None:
        ax.set_xlim(0, xmax)
    else:  # counts of students: whole numbers
        ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


# ----------------------------------------------------------------------------- the page


def _e(text):
    return html.escape(str(text), quote=True)


def _img(data, alt):
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _table(caption, header, rows):
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _names(names):
    return ", ".join(_e(n) for n in sorted(names))


STYLE = """
body { font-family: sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid #999; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
img { max-width: 100%; height: auto; display: block; }
.note { color: #444; }
"""


def report_data(aid, outcomes, table):
    """Everything the page shows, as plain data (its digest decides whether to draw it again)."""
    known, rows = mistakes_mod.class_mistakes(aid, outcomes)
    scored = [totals(o, table) for o in outcomes]
    cases = graded_cases(outcomes)
    order = [name for name, _, _ in table]
    failed = {
        (o.submission, q.name) for o in outcomes for q in o.questions if not q.gpu_skipped and q.score < q.possible
    }
    by_mistake, questions_of, only_after = defaultdict(set), defaultdict(set), defaultdict(dict)
    for submission, question, m in rows:
        by_mistake[m].add(submission)
        questions_of[m].add(question)
        # a later question's function may build on an earlier one (convolve2d calling corr2d):
        # a mistake seen only where an earlier question also failed may come from there
        earlier = order[: order.index(question)] if question in order else []
        after = any((submission, q) in failed for q in earlier)
        only_after[m][submission] = only_after[m].get(submission, True) and after
    return {
        "aid": aid,
        "submissions": [o.submission for o in outcomes],
        "totals": [total for _, total, _ in scored],
        "possible": max((possible for _, _, possible in scored), default=0),
        "questions": [
            {
                "name": name,
                "possible": full,
                "scores": [next((q.score for q in o.questions if q.name == name), 0.0) for o in outcomes],
                "gpu_skipped": sum(any(q.name == name and q.gpu_skipped for q in o.questions) for o in outcomes),
            }
            for name, full, _ in table
        ],
        "tests": [
            {"question": q, "test": t, "hidden": h, "passed": sum(v), "graded": len(v)}
            for (q, t, h), v in sorted(cases.items())
        ],
        "statuses": [
            {"submission": o.submission, "kinds": kinds, "status": status_of(o)}
            for o in outcomes
            if (kinds := status_kinds(o))
        ],
        "seconds": [{"submission": o.submission, "seconds": round(o.seconds, 2)} for o in outcomes],
        "mistakes": [
            {
                "id": m,
                "description": known[m].description,
                "questions": sorted(questions_of[m]),
                "students": sorted(by_mistake[m]),
                "after_earlier_failure": sorted(n for n, after in only_after[m].items() if after),
            }
            for m in sorted(by_mistake, key=lambda m: (-len(by_mistake[m]), m))
        ],
        "rows": rows,
    }


def page(data):
    """report.html's text for report_data's data."""
    n = len(data["submissions"])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="{DIGEST_META}" content="{digest(data)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(data['aid'])}: class report</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{_e(data['aid'])}: class report</h1>",
        f'<p class="note">{n} submission{"" if n == 1 else "s"}. For the instructor only: it names the hidden '
        "tests. The same grades are in grades.csv; the mistakes, one row each, in mistakes.csv.</p>",
    ]
    parts += _scores_section(data)
    parts += _tests_section(data)
    parts += _mistakes_section(data)
    parts += _statuses_section(data)
    parts += _seconds_section(data)
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _scores_section(data):
    out = ["<h2>Scores</h2>"]
    totals, possible = data["totals"], data["possible"]
    if totals:
        full = sum(t >= possible for t in totals)
        alt = (
            f"Bar chart of total scores out of {points(possible)} for {len(totals)} submissions: median "
            f"{points(statistics.median(totals))}, {full} at full marks, {sum(t == 0 for t in totals)} at 0."
        )
        out.append(_img(histogram_png(totals, possible, "total score", "Total"), alt))
    rows = []
    for q in data["questions"]:
        scores = q["scores"]
        if not scores:
            continue
        full = sum(s >= q["possible"] for s in scores)
        zero = sum(s == 0 for s in scores)
        alt = (
            f"Bar chart of scores on {q['name']} out of {points(q['possible'])}: {full} of {len(scores)} "
            f"at full marks, {zero} at 0."
        )
        out.append(_img(histogram_png(scores, q["possible"], f"score on {q['name']}", q["name"]), alt))
        rows.append(
            [
                _e(q["name"]),
                points(q["possible"]),
                points(statistics.mean(scores)),
                str(full),
                str(zero),
                str(q["gpu_skipped"]) if q["gpu_skipped"] else "",
            ]
        )
    out.append(
        _table(
            "Scores per question",
            ["question", "possible", "mean", "full marks", "zero", "not graded (no GPU)"],
            rows,
        )
    )
    return out


def _tests_section(data):
    out = ["<h2>Tests</h2>"]
    tests = data["tests"]
    if not tests:
        return out + ["<p>No test was run.</p>"]
    labels = [f"{t['question']} {t['test']}{' (hidden)' if t['hidden'] else ''}" for t in tests]
    rates = [100 * t["passed"] / t["graded"] for t in tests]
    worst = min(range(len(tests)), key=lambda i: rates[i])
    alt = (
        f"Horizontal bar chart of the pass rate of each of {len(tests)} tests; the lowest is "
        f"{labels[worst]} at {rates[worst]:.0f} percent."
    )
    out.append(_img(barh_png(labels, rates, "submissions that pass (%)", "Pass rate per test", xmax=100), alt))
    rows = [
        [_e(t["question"]), _e(t["test"]), "hidden" if t["hidden"] else "public", f"{t['passed']} of {t['graded']}"]
        for t in tests
    ]
    out.append(_table("Pass rate per test", ["question", "test", "kind", "passed"], rows))
    unread = len(data["submissions"]) - max(t["graded"] for t in tests)
    if unread > 0:
        out.append(
            f'<p class="note">Out of the submissions whose tests ran: {unread} ran none (an unreadable file). '
            "The scores above count them, at 0.</p>"
        )
    return out


def _mistakes_section(data):
    out = ["<h2>Classic mistakes</h2>"]
    found = data["mistakes"]
    if not found:
        return out + ["<p>The checks recognised no classic mistake in this class.</p>"]
    out.append(
        '<p class="note">Each id is a mistake that a check recognises from what a function returned '
        "(the chapter's checks list them). A student counts once per mistake.</p>"
    )
    labels = [m["id"] for m in found]
    counts = [len(m["students"]) for m in found]
    alt = "Horizontal bar chart of how many students made each classic mistake: " + "; ".join(
        f"{label} {count}" for label, count in zip(labels, counts)
    )
    out.append(_img(barh_png(labels, counts, "students", "Classic mistakes"), alt))
    rows = [
        [
            f"<code>{_e(m['id'])}</code>",
            _e(m["description"]),
            _e(", ".join(m["questions"])),
            str(len(m["students"])),
            ", ".join(_e(n) + (" *" if n in m["after_earlier_failure"] else "") for n in m["students"]),
        ]
        for m in found
    ]
    out.append(_table("Classic mistakes found", ["mistake", "what it is", "question", "students", "who"], rows))
    if any(m["after_earlier_failure"] for m in found):
        out.append(
            '<p class="note">* seen only in a question after one this submission also failed: a function '
            "that builds on an earlier one (convolve2d calling corr2d) can show the earlier mistake under "
            "another name. Look at the earlier question first.</p>"
        )
    return out


def _statuses_section(data):
    out = ["<h2>Statuses</h2>"]
    statuses = data["statuses"]
    n = len(data["submissions"])
    if not statuses:
        return out + [f"<p>All {n} submissions graded without trouble.</p>"]
    by_kind = defaultdict(list)
    for s in statuses:
        for kind in s["kinds"]:
            by_kind[kind].append(s["submission"])
    out.append(
        _table(
            "Submissions by status",
            ["status", "submissions", "who"],
            [["ok", str(n - len(statuses)), ""]]
            + [[_e(kind), str(len(names)), _names(names)] for kind, names in by_kind.items()],
        )
    )
    out.append(
        _table("What happened", ["submission", "status"], [[_e(s["submission"]), _e(s["status"])] for s in statuses])
    )
    return out


def _seconds_section(data):
    out = ["<h2>Time per submission</h2>"]
    seconds = data["seconds"]
    if not seconds:
        return out
    values = [s["seconds"] for s in seconds]
    slowest = sorted(seconds, key=lambda s: -s["seconds"])[:5]
    fig = _figure(6, 2.6)
    ax = fig.subplots()
    ax.hist(values, bins=min(20, max(len(values), 1)), color="#3b6ea5")
    ax.set_xlabel("seconds to grade")
    ax.set_ylabel("submissions")
    ax.set_title("Seconds per submission")
    alt = (
        f"Histogram of the seconds each of {len(values)} submissions took to grade: median "
        f"{statistics.median(values):.2f} s, longest {max(values):.2f} s ({slowest[0]['submission']})."
    )
    out.append(_img(_png(fig), alt))
    out.append(
        _table(
            "The slowest submissions",
            ["submission", "seconds"],
            [[_e(s["submission"]), f"{s['seconds']:.2f}"] for s in slowest],
        )
    )
    return out


def digest(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def already_written(path, data):
    """Whether the page at `path` was drawn from this very data."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:600]
    except OSError:
        return False
    return f'<meta name="{DIGEST_META}" content="{digest(data)}">' in head


def write(out, run: GradingRun) -> None:
    """Write OUT/report.html (not drawn again when unchanged)."""
    data = report_data(run.aid, run.outcomes, run.table)
    if not already_written(out / "report.html", data):
        write_atomically(out / "report.html", page(data))
