"""Run the readers of uploaded files on given files, each in a forked process under a memory limit
(RLIMIT_AS) and a CPU time limit (RLIMIT_CPU), and tell how each ended: its French refusal, or the
signal that killed it, or the exception that escaped (MemoryError...).

    python -m tests.bounded_parse MANIFEST.json   (a list of {"name", "kind", "path"})

prints one JSON list. The readers are imported once, before the forks, as in a gunicorn worker.
"""

from __future__ import annotations

import json
import os
import resource
import sys

MEMORY_BYTES = 1024**3  # for the parse, above what the interpreter and its libraries already map
CPU_SECONDS = 30


def read(kind: str, name: str, content: bytes) -> list[str]:
    """The reasons a reader gives for refusing the file ([] when it is read)."""
    if kind == "needs":
        from groupement.campaigns.needs_xlsx_reader import read_needs_rows

        return [issue.reason for issue in read_needs_rows(content, name)[1]]
    if kind == "offer":
        from groupement.tenders.offer_xlsx import read_offer_workbook
        from groupement.tenders.tender_data import TenderLot

        lot = TenderLot(key="L1", number=1, title="Postes", groupement="CAPI", campaign="2026", lines=())
        return [issue.reason for issue in read_offer_workbook(content, name, lot).issues]
    if kind == "invoice":
        from groupement.invoices.einvoice import parse_invoice
        from groupement.invoices.rules import InvoiceRefused

        try:
            parse_invoice(content, name)
        except InvoiceRefused as refused:
            return [str(reason) for reason in refused.reasons]
        return []
    if kind == "catalog":
        from groupement.core.files.csv_files import read_table

        return [issue.reason for issue in read_table(content, name, ("ref", "designation"))[1]]
    raise ValueError(kind)


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _in_child(kind: str, name: str, content: bytes) -> dict:
    limit = _mapped_bytes() + MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    try:
        return {"reasons": read(kind, name, content)}
    except MemoryError:
        return {"error": "MemoryError"}
    except BaseException as error:  # noqa: BLE001  (reported to the test, which fails on it)
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}


def run(entries: list[dict]) -> list[dict]:
    for kind in {entry["kind"] for entry in entries}:  # imports first, as a worker has them
        read(kind, "amorce.xlsx", b"")
    results = []
    for entry in entries:
        with open(entry["path"], "rb") as handle:
            content = handle.read()
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: parse, report, leave without running the parent's cleanups
            os.close(readable)
            outcome = _in_child(entry["kind"], entry["name"], content)
            os.write(writable, json.dumps(outcome).encode())
            os._exit(0)
        os.close(writable)
        chunks = []
        while chunk := os.read(readable, 65536):
            chunks.append(chunk)
        os.close(readable)
        _, status, usage = os.wait4(pid, 0)
        outcome = json.loads(b"".join(chunks) or b"{}")
        results.append(
            {
                "name": entry["name"],
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_megabytes": usage.ru_maxrss // 1024,
                **outcome,
            }
        )
    return results


if __name__ == "__main__":
    with open(sys.argv[1]) as manifest:
        print(json.dumps(run(json.load(manifest))))
