"""
Runs ClickHouse's own HTTP server from the engine library inside npm `chdb`.

The library's command-line entry (query_stable_v2) is clickhouse-local. Given a
server config, `SYSTEM START LISTEN HTTP` opens ClickHouse's real HTTP interface,
which serves for as long as the session's last statement runs. That statement
waits until this process is told to stop (SIGTERM or SIGINT): then an admin
kills it by its query id, the call returns and the engine shuts down cleanly.

usage: serve.py --lib LIBCHDB --config CONFIG_XML --path DATA_DIR --port PORT
Credentials for the stop come from CLICKHOUSE_ADMIN_USER / CLICKHOUSE_ADMIN_PASSWORD.
"""

import argparse
import base64
import ctypes
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
# How long a stop may try to reach the server (it may still be starting).
STOP_DEADLINE_S = 60


class Result(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_char_p),
        ("len", ctypes.c_size_t),
        ("vec", ctypes.c_void_p),
        ("elapsed", ctypes.c_double),
        ("rows_read", ctypes.c_uint64),
        ("bytes_read", ctypes.c_uint64),
        ("error_message", ctypes.c_char_p),
    ]


def say(line):
    print(f"[serve] {line}", flush=True)


def kill_serving_query(port, query_id):
    """Asks the server to end the statement that keeps it serving; True once it did."""
    user = os.environ.get("CLICKHOUSE_ADMIN_USER", "kit_admin")
    password = os.environ.get("CLICKHOUSE_ADMIN_PASSWORD", "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=f"KILL QUERY WHERE query_id = '{query_id}' SYNC FORMAT TSV".encode(),
        headers={"Authorization": f"Basic {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return query_id in response.read().decode()


def watch_for_stop(port, query_id, stopping):
    signal.sigwait(STOP_SIGNALS)
    stopping.set()
    say("stop requested: ending the serving statement")
    deadline = time.monotonic() + STOP_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            if kill_serving_query(port, query_id):
                return
        except urllib.error.HTTPError as e:
            say(f"the server refused the stop: HTTP {e.code} {e.read().decode(errors='replace').strip()}")
            break
        except OSError:
            pass  # not listening yet, or a connection reset: try again
        time.sleep(0.2)
    say("could not end the serving statement; exiting without a clean shutdown")
    os._exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--lib", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--port", required=True, type=int)
    args = parser.parse_args()

    query_id = f"kit-serve-{os.urandom(8).hex()}"
    stopping = threading.Event()
    # Blocked here, the stop signals stay blocked in every thread the engine starts,
    # so only the watcher's sigwait receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    threading.Thread(target=watch_for_stop, args=(args.port, query_id, stopping), daemon=True).start()

    lib = ctypes.CDLL(args.lib)
    lib.query_stable_v2.restype = ctypes.POINTER(Result)
    lib.query_stable_v2.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    argv = [
        "clickhouse",
        f"--config-file={args.config}",
        f"--path={args.path}",
        "--listen_host=127.0.0.1",
        f"--http_port={args.port}",
        "--tcp_port=0",
        "--log-level=information",
        "--multiquery",
        f"--query_id={query_id}",
        # About 126 years of one-second sleeps: in practice, until the stop.
        "--query=SYSTEM START LISTEN HTTP; "
        "SELECT sleep(1) FROM numbers(4000000000) FORMAT Null SETTINGS max_block_size = 1",
    ]
    say(f"starting ClickHouse from {args.lib}: HTTP on 127.0.0.1:{args.port}, data in {args.path}")
    c_argv = (ctypes.c_char_p * len(argv))(*[a.encode() for a in argv])
    result = lib.query_stable_v2(len(argv), c_argv)
    error = result.contents.error_message if result else None
    if stopping.is_set():
        say("stopped cleanly")
        return 0
    say(f"the engine returned without a stop request: {error.decode(errors='replace') if error else 'no error message'}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
