"""Load against a running `ingest serve` (issue 8): N concurrent uploads of a
file while the status endpoint is polled at a steady rate; figures, not
assertions. Standard library only. Run through bench/load.sh, which starts
the server and samples its memory.

    python3 bench/load.py URL FILE UPLOADS RATE SECONDS

Prints one JSON object: errors (by kind), upload and status latencies
(p50/p99/max, ms), tasks by final status, and polls actually sent per second.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid

url, path = sys.argv[1], sys.argv[2]
uploads, rate, seconds = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
host = urllib.parse.urlparse(url)
data = open(path, "rb").read()
lock = threading.Lock()
errors = {}
task_ids = []
upload_ms = []
status_ms = []


def error(kind):
    with lock:
        errors[kind] = errors.get(kind, 0) + 1


def connection():
    return http.client.HTTPConnection(host.hostname, host.port, timeout=120)


def upload(n):
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"datasource_name\"\r\n\r\n"
        f"load\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"load-{n}.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():  # streamed in 1 MiB pieces: 50 copies of the file never sit in memory
        yield head
        for at in range(0, len(data), 1 << 20):
            yield data[at : at + (1 << 20)]
        yield tail

    started = time.perf_counter()
    try:
        c = connection()
        c.request(
            "POST",
            "/api/ingest/upload",
            body(),
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + len(data) + len(tail)),
            },
        )
        r = c.getresponse()
        answer = r.read()
        elapsed = (time.perf_counter() - started) * 1000
        if r.status != 202:
            error(f"upload {r.status}")
            return
        with lock:
            upload_ms.append(elapsed)
            task_ids.append(json.loads(answer)["task_id"])
    except OSError as e:
        error(f"upload {type(e).__name__}")


def poller(stop_at, interval, offset):
    """One keep-alive connection polling at `interval` seconds."""
    c = connection()
    next_at = time.perf_counter() + offset
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            return
        if next_at > now:
            time.sleep(next_at - now)
        next_at += interval
        with lock:
            ids = list(task_ids)
        target = f"/api/ingest/status/{ids[len(status_ms) % len(ids)]}" if ids else "/api/ingest/tasks?limit=20"
        started = time.perf_counter()
        try:
            c.request("GET", target)
            r = c.getresponse()
            r.read()
            elapsed = (time.perf_counter() - started) * 1000
            if r.status != 200:
                error(f"status {r.status}")
            else:
                with lock:
                    status_ms.append(elapsed)
        except (OSError, http.client.HTTPException) as e:
            error(f"status {type(e).__name__}")
            c = connection()


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))], 1)


def final_statuses():
    counts = {}
    c = connection()
    for task_id in task_ids:
        for _ in range(1200):
            c.request("GET", f"/api/ingest/status/{task_id}")
            task = json.loads(c.getresponse().read())
            if task["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.5)
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    return counts


pollers = 25
stop_at = time.perf_counter() + seconds
threads = [
    threading.Thread(target=poller, args=(stop_at, pollers / rate, i / rate))
    for i in range(pollers)
]
threads += [threading.Thread(target=upload, args=(n,)) for n in range(uploads)]
started = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
polled_for = time.perf_counter() - started
print(
    json.dumps(
        {
            "uploads": uploads,
            "file_mib": round(len(data) / 2**20, 1),
            "errors": errors,
            "upload_ms": {"p50": pct(upload_ms, 0.5), "p99": pct(upload_ms, 0.99), "max": pct(upload_ms, 1.0)},
            "status_ms": {"p50": pct(status_ms, 0.5), "p99": pct(status_ms, 0.99), "max": pct(status_ms, 1.0)},
            "status_requests": len(status_ms),
            "status_per_s": round(len(status_ms) / polled_for, 1),
            "tasks": final_statuses(),
        }
    )
)
