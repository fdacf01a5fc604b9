"""What the interop scripts share: recording checks, the closing `N passed, N failed` count, free ports."""
import socket

RESULTS = []


def check(name, condition, detail=""):
    RESULTS.append((name, bool(condition)))
    print(f"{'PASS' if condition else 'FAIL'}: {name}" + ("" if condition else f"\n    {str(detail)[-1500:]}"), flush=True)


def passed():
    """How many checks passed, and whether all did."""
    n = sum(1 for _, ok in RESULTS if ok)
    return n, n == len(RESULTS)


def summary_line():
    n, _ = passed()
    return f"{n} passed, {len(RESULTS) - n} failed"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
