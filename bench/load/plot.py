"""The load test's picture: throughput, single-prediction latency and memory over time."""

from __future__ import annotations

from pathlib import Path

from bench.load.report import BACKENDS


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display; files only
    import matplotlib.pyplot as plt

    points = summary["series"]
    warmup = summary["settings"]["warmup_s"]
    t = [p["t_s"] for p in points]
    fig, (rate, latency, rss) = plt.subplots(3, 1, figsize=(9, 8.5), sharex=True)
    s = summary["settings"]
    fig.suptitle(
        f"ModelServe load test: {s['users']} users, {len(s['apis'])} API processes + a worker, "
        f"{BACKENDS[s['backend']]} ({summary['started_at'][:10]})",
        fontsize=10,
    )
    rate.plot(t, [p["rps"] for p in points], color="tab:blue", label="all operations")
    errors = [(p["t_s"], p["rps"]) for p in points if p["errors"]]
    if errors:
        rate.scatter(*zip(*errors, strict=True), color="tab:red", zorder=3, label="with errors")
    rate.set_ylabel("requests/s")
    rate.legend(loc="lower right", fontsize=8)

    for q, color in (("p50", "tab:green"), ("p95", "tab:orange"), ("p99", "tab:red")):
        latency.plot(t, [p[f"{q}_ms"] for p in points], color=color, label=q)
    latency.set_ylabel("predict latency, ms")
    latency.set_yscale("log")
    latency.legend(loc="upper right", fontsize=8)

    samples = summary["memory_samples"]
    t0 = summary["t0"]
    for name in samples[0]["rss_mb"] if samples else ():
        rss.plot(
            [x["t"] - t0 for x in samples], [x["rss_mb"].get(name) for x in samples], label=name
        )
    rss.set_ylabel("RSS, MB")
    rss.set_xlabel("seconds since the start")
    rss.legend(loc="lower right", fontsize=8)

    for ax in (rate, latency, rss):
        ax.axvspan(0, warmup, color="0.9", zorder=0)
        ax.grid(True, alpha=0.3)
    rate.text(warmup / 2, 0.02, "warm-up", transform=rate.get_xaxis_transform(), ha="center")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
